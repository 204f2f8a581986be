import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IamCatalog } from '../iam-catalog.js';
import { loadIamCatalog } from '../iam-catalog.js';
import type { Access, TrailEvent, TrailIdentity } from '../types.js';
import { mapEvent } from './index.js';

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

const roleIdentity: TrailIdentity = {
  type: 'AssumedRole',
  arn: 'arn:aws:sts::123456789012:assumed-role/app/s',
  accountId: '123456789012',
  issuerArn: 'arn:aws:iam::123456789012:role/app',
  issuerType: 'Role',
};

interface Row {
  readonly source: string;
  readonly name: string;
  readonly params?: Record<string, unknown>;
  readonly resources?: { arn: string }[];
  readonly region?: string;
  readonly identity?: Partial<TrailIdentity>;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

function event(row: Row): TrailEvent {
  return {
    eventSource: `${row.source}.amazonaws.com`,
    eventName: row.name,
    awsRegion: row.region ?? 'us-east-1',
    recipientAccountId: '123456789012',
    userIdentity: { ...roleIdentity, ...row.identity },
    requestParameters: row.params ?? {},
    responseElements: {},
    additionalEventData: {},
    resources: row.resources ?? [],
    ...(row.errorCode === undefined ? {} : { errorCode: row.errorCode }),
    ...(row.errorMessage === undefined ? {} : { errorMessage: row.errorMessage }),
    origin: { source: 'test' },
  };
}

const mapped = (...accesses: Access[]) => ({ kind: 'mapped', accesses });

describe('mapEvent: names, renames and suffixes', () => {
  it.each<[string, Row, ReturnType<typeof mapped>]>([
    ['default rule', { source: 'sqs', name: 'ListQueues' }, mapped({ action: 'sqs:ListQueues', resource: '*' })],
    [
      'a batch form without an action of its own: its single form',
      {
        source: 'sqs',
        name: 'SendMessageBatch',
        params: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs' },
      },
      mapped({ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:123456789012:jobs' }),
    ],
    [
      'SNS PublishBatch',
      { source: 'sns', name: 'PublishBatch', params: { topicArn: 'arn:aws:sns:us-east-1:123456789012:orders' } },
      mapped({ action: 'sns:Publish', resource: 'arn:aws:sns:us-east-1:123456789012:orders' }),
    ],
    [
      'a batch action the catalog lists stays itself',
      { source: 'firehose', name: 'PutRecordBatch', params: { deliveryStreamName: 'logs' } },
      mapped({
        action: 'firehose:PutRecordBatch',
        resource: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/logs',
      }),
    ],
    [
      'endpoint rename monitoring → cloudwatch',
      { source: 'monitoring', name: 'PutMetricData' },
      mapped({ action: 'cloudwatch:PutMetricData', resource: '*' }),
    ],
    [
      'endpoint rename streams.dynamodb → dynamodb',
      { source: 'streams.dynamodb', name: 'ListStreams' },
      mapped({ action: 'dynamodb:ListStreams', resource: '*' }),
    ],
    [
      'S3 ListObjectsV2 → ListBucket on the bucket',
      { source: 's3', name: 'ListObjectsV2', params: { bucketName: 'media', prefix: 'in/' } },
      mapped({ action: 's3:ListBucket', resource: 'arn:aws:s3:::media' }),
    ],
    [
      'S3 HeadObject → GetObject',
      { source: 's3', name: 'HeadObject', params: { bucketName: 'media', key: 'a/b.png' } },
      mapped({ action: 's3:GetObject', resource: 'arn:aws:s3:::media/a/b.png' }),
    ],
    [
      'S3 HeadBucket → ListBucket',
      { source: 's3', name: 'HeadBucket', params: { bucketName: 'media' } },
      mapped({ action: 's3:ListBucket', resource: 'arn:aws:s3:::media' }),
    ],
    [
      'S3 ListBuckets → ListAllMyBuckets',
      { source: 's3', name: 'ListBuckets' },
      mapped({ action: 's3:ListAllMyBuckets', resource: '*' }),
    ],
    [
      'S3 GetBucketEncryption → GetEncryptionConfiguration',
      { source: 's3', name: 'GetBucketEncryption', params: { bucketName: 'b' } },
      mapped({ action: 's3:GetEncryptionConfiguration', resource: 'arn:aws:s3:::b' }),
    ],
    [
      'S3 DeleteBucketLifecycle → PutLifecycleConfiguration',
      { source: 's3', name: 'DeleteBucketLifecycle', params: { bucketName: 'b' } },
      mapped({ action: 's3:PutLifecycleConfiguration', resource: 'arn:aws:s3:::b' }),
    ],
    [
      'S3 GetPublicAccessBlock → GetBucketPublicAccessBlock',
      { source: 's3', name: 'GetPublicAccessBlock', params: { bucketName: 'b' } },
      mapped({ action: 's3:GetBucketPublicAccessBlock', resource: 'arn:aws:s3:::b' }),
    ],
    [
      'S3 UploadPart → PutObject',
      { source: 's3', name: 'UploadPart', params: { bucketName: 'b', key: 'k', partNumber: '2' } },
      mapped({ action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' }),
    ],
    [
      'S3 ListParts → ListMultipartUploadParts',
      { source: 's3', name: 'ListParts', params: { bucketName: 'b', key: 'k' } },
      mapped({ action: 's3:ListMultipartUploadParts', resource: 'arn:aws:s3:::b/k' }),
    ],
    [
      'S3 GetObject with versionId → GetObjectVersion',
      { source: 's3', name: 'GetObject', params: { bucketName: 'b', key: 'k', versionId: 'v1' } },
      mapped({ action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::b/k' }),
    ],
    [
      'Lambda Invoke → InvokeFunction, qualifier dropped',
      {
        source: 'lambda',
        name: 'Invoke',
        params: { functionName: 'arn:aws:lambda:us-east-1:123456789012:function:resize:live' },
      },
      mapped({ action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:us-east-1:123456789012:function:resize' }),
    ],
    [
      'Lambda date suffix stripped',
      { source: 'lambda', name: 'GetFunction20150331v2', params: { functionName: 'resize' } },
      mapped({ action: 'lambda:GetFunction', resource: 'arn:aws:lambda:us-east-1:123456789012:function:resize' }),
    ],
    [
      'CloudFront date suffix stripped',
      { source: 'cloudfront', name: 'ListDistributions2020_05_31' },
      mapped({ action: 'cloudfront:ListDistributions', resource: '*' }),
    ],
    [
      'a V2 name is not a suffix',
      { source: 'kafka', name: 'CreateClusterV2', params: {} },
      mapped({ action: 'kafka:CreateClusterV2', resource: '*', resourceUnknown: true }),
    ],
    [
      'odd casing of the event name',
      { source: 'sqs', name: 'listqueues' },
      mapped({ action: 'sqs:ListQueues', resource: '*' }),
    ],
  ])('%s', (_, row, expected) => {
    expect(mapEvent(event(row), catalog)).toEqual(expected);
  });
});

describe('mapEvent: one call, several actions', () => {
  it.each<[string, Row, Access[]]>([
    [
      'S3 CopyObject reads the source and writes the target',
      {
        source: 's3',
        name: 'CopyObject',
        params: { bucketName: 'dst', key: 'out/a.png', 'x-amz-copy-source': 'src/in/a%20b.png' },
      },
      [
        { action: 's3:GetObject', resource: 'arn:aws:s3:::src/in/a b.png' },
        { action: 's3:PutObject', resource: 'arn:aws:s3:::dst/out/a.png' },
      ],
    ],
    [
      'S3 DeleteObjects deletes each key',
      {
        source: 's3',
        name: 'DeleteObjects',
        params: { bucketName: 'b', delete: { Object: [{ Key: 'x' }, { Key: 'y' }], Quiet: true } },
      },
      [
        { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/x' },
        { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/y' },
      ],
    ],
    [
      'KMS ReEncrypt: ReEncryptFrom on the source key, ReEncryptTo on the destination',
      {
        source: 'kms',
        name: 'ReEncrypt',
        params: {
          destinationKeyId: '0987dcba-09fe-87dc-65ba-ab0987654321',
          sourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        },
        resources: [
          { arn: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
          { arn: 'arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321' },
        ],
      },
      [
        {
          action: 'kms:ReEncryptFrom',
          resource: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
        {
          action: 'kms:ReEncryptTo',
          resource: 'arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321',
        },
      ],
    ],
    [
      'DynamoDB TransactWriteItems by operation (AWS docs event shape)',
      {
        source: 'dynamodb',
        name: 'TransactWriteItems',
        region: 'us-west-2',
        params: {
          requestItems: [
            { operation: 'Put', tableName: 'Music' },
            { operation: 'Update', tableName: 'Music' },
            { operation: 'ConditionCheck', tableName: 'Audit' },
          ],
        },
      },
      [
        { action: 'dynamodb:PutItem', resource: 'arn:aws:dynamodb:us-west-2:123456789012:table/Music' },
        { action: 'dynamodb:UpdateItem', resource: 'arn:aws:dynamodb:us-west-2:123456789012:table/Music' },
        { action: 'dynamodb:ConditionCheckItem', resource: 'arn:aws:dynamodb:us-west-2:123456789012:table/Audit' },
      ],
    ],
    [
      'DynamoDB PartiQL by statement verb',
      { source: 'dynamodb', name: 'ExecuteStatement', params: { statement: "SELECT * FROM Music WHERE Artist = 'x'" } },
      [{ action: 'dynamodb:PartiQLSelect', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/Music' }],
    ],
    [
      'DynamoDB PartiQL on an index',
      { source: 'dynamodb', name: 'ExecuteStatement', params: { statement: 'SELECT * FROM "Music"."byAlbum"' } },
      [
        {
          action: 'dynamodb:PartiQLSelect',
          resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/Music/index/byAlbum',
        },
      ],
    ],
    [
      'DynamoDB BatchExecuteStatement, one action per statement',
      {
        source: 'dynamodb',
        name: 'BatchExecuteStatement',
        params: {
          requestItems: [{ statement: 'UPDATE Music SET a = 1' }, { statement: "INSERT INTO Music VALUE {'a': 1}" }],
        },
      },
      [
        { action: 'dynamodb:PartiQLUpdate', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/Music' },
        { action: 'dynamodb:PartiQLInsert', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/Music' },
      ],
    ],
  ])('%s', (_, row, accesses) => {
    expect(mapEvent(event(row), catalog)).toEqual({ kind: 'mapped', accesses });
  });
});

describe('mapEvent: resources from request parameters', () => {
  it.each<[string, Row, string[]]>([
    [
      'DynamoDB Query on an index keeps the index only',
      { source: 'dynamodb', name: 'Query', params: { tableName: 'orders', indexName: 'byDate' } },
      ['arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/byDate'],
    ],
    [
      'DynamoDB GetRecords from the shard iterator',
      {
        source: 'streams.dynamodb',
        name: 'GetRecords',
        region: 'us-west-2',
        params: {
          shardIterator: 'arn:aws:dynamodb:us-west-2:123456789012:table/Music/stream/2021-04-15T04:02:47.428|1|AAAA',
        },
      },
      ['arn:aws:dynamodb:us-west-2:123456789012:table/Music/stream/2021-04-15T04:02:47.428'],
    ],
    [
      'SQS queue URL → queue ARN in the URL account and region',
      {
        source: 'sqs',
        name: 'SendMessage',
        params: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/210987654321/jobs' },
      },
      ['arn:aws:sqs:eu-west-1:210987654321:jobs'],
    ],
    [
      'KMS key id',
      { source: 'kms', name: 'Decrypt', params: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' } },
      ['arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    ],
    [
      'KMS alias with the key in resources[]',
      {
        source: 'kms',
        name: 'GenerateDataKey',
        params: { keyId: 'alias/project-key' },
        resources: [{ arn: 'arn:aws:kms:us-west-2:111122223333:key/1234abcd' }],
      },
      ['arn:aws:kms:us-west-2:111122223333:key/1234abcd'],
    ],
    [
      'CloudWatch Logs stream',
      {
        source: 'logs',
        name: 'PutLogEvents',
        params: { logGroupName: '/aws/lambda/app', logStreamName: '2024/05/01/[$LATEST]abc' },
      },
      ['arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/app:log-stream:2024/05/01/[$LATEST]abc'],
    ],
    [
      'SSM parameter without its leading slash',
      { source: 'ssm', name: 'GetParameter', params: { name: '/app/db-url', withDecryption: true } },
      ['arn:aws:ssm:us-east-1:123456789012:parameter/app/db-url'],
    ],
    [
      "API Gateway HTTP API paths, which the verb's catalog list lacks",
      { source: 'apigateway', name: 'CreateRoute', params: { apiId: 'h1' } },
      ['arn:aws:apigateway:us-east-1::/apis/h1/routes'],
    ],
    [
      "API Gateway tags: the tagged resource's ARN, URL-encoded",
      {
        source: 'apigateway',
        name: 'TagResource',
        params: { resourceArn: 'arn:aws:apigateway:us-east-1::/restapis/abc' },
      },
      ['arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fabc'],
    ],
    [
      'a plural field names one resource per item (logGroupNames)',
      {
        source: 'logs',
        name: 'StartQuery',
        params: { logGroupNames: ['/aws/lambda/a', '/aws/lambda/b'], queryString: 'fields @message' },
      },
      [
        'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/a',
        'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/b',
      ],
    ],
    [
      'SSM SendCommand with a document AWS owns, on two instances',
      {
        source: 'ssm',
        name: 'SendCommand',
        params: { documentName: 'AWS-RunShellScript', instanceIds: ['i-0a', 'i-0b'] },
      },
      [
        'arn:aws:ssm:us-east-1::document/AWS-RunShellScript',
        'arn:aws:ssm:us-east-1:123456789012:document/AWS-RunShellScript',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-0a',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-0b',
        'arn:aws:ssm:us-east-1:123456789012:managed-instance/i-0a',
        'arn:aws:ssm:us-east-1:123456789012:managed-instance/i-0b',
      ],
    ],
    [
      "an EventBridge rule on a custom bus: that bus's rule only",
      { source: 'events', name: 'PutRule', params: { name: 'r', eventBusName: 'orders' } },
      ['arn:aws:events:us-east-1:123456789012:rule/orders/r'],
    ],
    [
      'an EventBridge rule on the default bus',
      { source: 'events', name: 'PutTargets', params: { rule: 'r' } },
      ['arn:aws:events:us-east-1:123456789012:rule/r'],
    ],
    [
      "a bare name on a call of one resource type is that resource's (SNS CreateTopic)",
      { source: 'sns', name: 'CreateTopic', params: { name: 'orders' } },
      ['arn:aws:sns:us-east-1:123456789012:orders'],
    ],
    [
      'a bare name is not taken where the action has several types (Lambda CreateAlias names the alias)',
      { source: 'lambda', name: 'CreateAlias', params: { functionName: 'f', name: 'live' } },
      ['arn:aws:lambda:us-east-1:123456789012:function:f'],
    ],
    [
      'an ECR image pulled from another account names that registry',
      { source: 'ecr', name: 'BatchGetImage', params: { repositoryName: 'app', registryId: '444455556666' } },
      ['arn:aws:ecr:us-east-1:444455556666:repository/app'],
    ],
    [
      'an SQS queue looked up by its owner',
      { source: 'sqs', name: 'GetQueueUrl', params: { queueName: 'jobs', queueOwnerAWSAccountId: '444455556666' } },
      ['arn:aws:sqs:us-east-1:444455556666:jobs'],
    ],
    [
      'SSM parameter with a version selector',
      { source: 'ssm', name: 'GetParameter', params: { name: '/app/db-url:3' } },
      ['arn:aws:ssm:us-east-1:123456789012:parameter/app/db-url'],
    ],
    [
      'SSM parameters named by ARN, one with a label',
      {
        source: 'ssm',
        name: 'GetParameters',
        params: {
          names: ['arn:aws:ssm:us-east-1:111122223333:parameter/shared/x:prod', '/app/y'],
        },
      },
      ['arn:aws:ssm:us-east-1:111122223333:parameter/shared/x', 'arn:aws:ssm:us-east-1:123456789012:parameter/app/y'],
    ],
    [
      'SSM public parameter: AWS authorizes it without an account',
      {
        source: 'ssm',
        name: 'GetParameter',
        params: { name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' },
      },
      [
        'arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
        'arn:aws:ssm:us-east-1:123456789012:parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      ],
    ],
    [
      'Secrets Manager name gets the random-suffix wildcard',
      { source: 'secretsmanager', name: 'GetSecretValue', params: { secretId: 'prod/db' } },
      ['arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-??????'],
    ],
    [
      'Secrets Manager partial ARN completed with the suffix wildcard',
      {
        source: 'secretsmanager',
        name: 'GetSecretValue',
        params: { secretId: 'arn:aws:secretsmanager:us-east-1:999988887777:secret:prod/db' },
      },
      ['arn:aws:secretsmanager:us-east-1:999988887777:secret:prod/db-??????'],
    ],
    [
      'Secrets Manager ARN kept as is',
      {
        source: 'secretsmanager',
        name: 'GetSecretValue',
        params: { secretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-a1b2c3' },
      },
      ['arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-a1b2c3'],
    ],
    [
      'Step Functions state machine ARN',
      {
        source: 'states',
        name: 'StartExecution',
        params: { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:orders' },
      },
      ['arn:aws:states:us-east-1:123456789012:stateMachine:orders'],
    ],
    [
      'EventBridge PutEvents on the default bus',
      { source: 'events', name: 'PutEvents', params: { entries: [] } },
      ['arn:aws:events:us-east-1:123456789012:event-bus/default'],
    ],
    [
      'STS AssumeRole on the target role',
      {
        source: 'sts',
        name: 'AssumeRole',
        params: { roleArn: 'arn:aws:iam::210987654321:role/deployer', roleSessionName: 's' },
      },
      ['arn:aws:iam::210987654321:role/deployer'],
    ],
    [
      'IAM GetUser without a name acts on the calling user',
      {
        source: 'iam',
        name: 'GetUser',
        identity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/ops/alice' },
      },
      ['arn:aws:iam::123456789012:user/ops/alice'],
    ],
    [
      'ECR repository',
      { source: 'ecr', name: 'BatchGetImage', params: { repositoryName: 'api' } },
      ['arn:aws:ecr:us-east-1:123456789012:repository/api'],
    ],
    [
      'Athena default work group',
      { source: 'athena', name: 'StartQueryExecution', params: { queryString: 'SELECT 1' } },
      ['arn:aws:athena:us-east-1:123456789012:workgroup/primary'],
    ],
    [
      'API Gateway GetRestApi is GET on the API path',
      { source: 'apigateway', name: 'GetRestApi', params: { restApiId: 'a1b2c3' } },
      ['arn:aws:apigateway:us-east-1::/restapis/a1b2c3'],
    ],
    [
      'API Gateway CreateDeployment is POST on the collection',
      { source: 'apigateway', name: 'CreateDeployment', params: { restApiId: 'a1b2c3' } },
      ['arn:aws:apigateway:us-east-1::/restapis/a1b2c3/deployments'],
    ],
    [
      'China partition from the caller ARN',
      {
        source: 'sqs',
        name: 'DeleteQueue',
        region: 'cn-north-1',
        params: { queueUrl: 'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q' },
        identity: { arn: 'arn:aws-cn:sts::123456789012:assumed-role/app/s' },
      },
      ['arn:aws-cn:sqs:cn-north-1:123456789012:q'],
    ],
  ])('%s', (_, row, resources) => {
    const outcome = mapEvent(event(row), catalog);
    expect(outcome.kind).toBe('mapped');
    if (outcome.kind === 'mapped') expect(outcome.accesses.map((a) => a.resource).sort()).toEqual(resources.sort());
  });

  it('uses * and reports the resource unknown when nothing names it', () => {
    expect(mapEvent(event({ source: 'sqs', name: 'SendMessage' }), catalog)).toEqual(
      mapped({ action: 'sqs:SendMessage', resource: '*', resourceUnknown: true }),
    );
    // A query execution id does not say which work group it ran in: no guess at `primary`.
    expect(
      mapEvent(event({ source: 'athena', name: 'GetQueryExecution', params: { queryExecutionId: 'q-1' } }), catalog),
    ).toEqual(mapped({ action: 'athena:GetQueryExecution', resource: '*', resourceUnknown: true }));
    // The API Gateway rule names the type the call touched; without its ids the path is unknown, not optional.
    expect(mapEvent(event({ source: 'apigateway', name: 'FlushStageCache', params: {} }), catalog)).toEqual(
      mapped({ action: 'apigateway:POST', resource: '*', resourceUnknown: true }),
    );
  });
});

describe('mapEvent: PassRole, forward access, denials, non-authorizations', () => {
  it.each<[string, Row, string]>([
    [
      'EC2 RunInstances by profile name',
      { source: 'ec2', name: 'RunInstances', params: { iamInstanceProfile: { name: 'web' } } },
      'arn:aws:iam::123456789012:instance-profile/web',
    ],
    [
      'EC2 RunInstances by profile ARN',
      {
        source: 'ec2',
        name: 'RunInstances',
        params: { iamInstanceProfile: { arn: 'arn:aws:iam::123456789012:instance-profile/ops/web' } },
      },
      'arn:aws:iam::123456789012:instance-profile/ops/web',
    ],
    [
      'Auto Scaling launch configuration (a bare name)',
      { source: 'autoscaling', name: 'CreateLaunchConfiguration', params: { iamInstanceProfile: 'web' } },
      'arn:aws:iam::123456789012:instance-profile/web',
    ],
  ])('passes the instance profile of %s, for IAM data to resolve to its role', (_, row, profile) => {
    const outcome = mapEvent(event(row), catalog);
    expect(outcome.kind === 'mapped' && outcome.accesses.filter((a) => a.action === 'iam:PassRole')).toEqual([
      { action: 'iam:PassRole', resource: profile, context: { 'iam:PassedToService': `${row.source}.amazonaws.com` } },
    ]);
  });

  it('infers iam:PassRole from a role-carrying parameter, for the called service', () => {
    const outcome = mapEvent(
      event({
        source: 'lambda',
        name: 'CreateFunction20150331',
        params: { functionName: 'f', role: 'arn:aws:iam::123456789012:role/service-role/f-exec' },
      }),
      catalog,
    );
    expect(outcome).toEqual(
      mapped(
        { action: 'lambda:CreateFunction', resource: 'arn:aws:lambda:us-east-1:123456789012:function:f' },
        {
          action: 'iam:PassRole',
          resource: 'arn:aws:iam::123456789012:role/service-role/f-exec',
          context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
        },
      ),
    );
  });

  it('finds nested role ARNs (ECS task overrides) and ignores AssumeRole targets', () => {
    const runTask = mapEvent(
      event({
        source: 'ecs',
        name: 'RunTask',
        params: { taskDefinition: 'web:3', overrides: { taskRoleArn: 'arn:aws:iam::123456789012:role/web-task' } },
      }),
      catalog,
    );
    expect(
      runTask.kind === 'mapped' &&
        runTask.accesses.some((a) => a.action === 'iam:PassRole' && a.resource.endsWith('role/web-task')),
    ).toBe(true);
    const assume = mapEvent(
      event({ source: 'sts', name: 'AssumeRole', params: { roleArn: 'arn:aws:iam::123456789012:role/x' } }),
      catalog,
    );
    expect(assume.kind === 'mapped' && assume.accesses.some((a) => a.action === 'iam:PassRole')).toBe(false);
  });

  it.each([
    ['s3.amazonaws.com', 's3.us-east-1.amazonaws.com'],
    ['secretsmanager.amazonaws.com', 'secretsmanager.us-east-1.amazonaws.com'],
    ['workmail.eu-west-1.amazonaws.com', 'workmail.eu-west-1.amazonaws.com'],
  ])('KMS called via %s carries kms:ViaService %s', (invokedBy, via) => {
    const outcome = mapEvent(
      event({ source: 'kms', name: 'Decrypt', params: { keyId: 'k1' }, identity: { invokedBy } }),
      catalog,
    );
    expect(outcome).toEqual(
      mapped({
        action: 'kms:Decrypt',
        resource: 'arn:aws:kms:us-east-1:123456789012:key/k1',
        context: { 'kms:ViaService': via },
      }),
    );
  });

  it('parses the action and resource out of an access-denied message', () => {
    const outcome = mapEvent(
      event({
        source: 'ssm',
        name: 'GetParameter',
        errorCode: 'AccessDeniedException',
        errorMessage:
          'User: arn:aws:sts::123456789012:assumed-role/app/s is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/x because no identity-based policy allows the ssm:GetParameter action',
      }),
      catalog,
    );
    expect(outcome).toEqual({
      kind: 'denied',
      errorCode: 'AccessDeniedException',
      accesses: [{ action: 'ssm:GetParameter', resource: 'arn:aws:ssm:us-east-1:123456789012:parameter/x' }],
    });
  });

  it.each(['Client.UnauthorizedOperation', 'AccessDenied'])(
    '%s without a parseable message falls back to the mapped call',
    (errorCode) => {
      const outcome = mapEvent(
        event({
          source: 'ec2',
          name: 'DescribeInstances',
          errorCode,
          errorMessage: 'You are not authorized to perform this operation.',
        }),
        catalog,
      );
      expect(outcome).toEqual({
        kind: 'denied',
        errorCode,
        accesses: [{ action: 'ec2:DescribeInstances', resource: '*' }],
      });
    },
  );

  it.each(['NoSuchKey', 'ResourceNotFoundException', 'ThrottlingException', 'ConditionalCheckFailedException'])(
    '%s was authorized and counts as used',
    (errorCode) => {
      expect(
        mapEvent(event({ source: 's3', name: 'GetObject', params: { bucketName: 'b', key: 'k' }, errorCode }), catalog)
          .kind,
      ).toBe('mapped');
    },
  );

  it.each<[string, Row]>([
    ['sts:GetCallerIdentity needs no permission', { source: 'sts', name: 'GetCallerIdentity' }],
    ['console sign-in', { source: 'signin', name: 'ConsoleLogin' }],
    ['Cognito hosted UI page hit', { source: 'cognito-idp', name: 'Login_GET' }],
  ])('%s is not an authorization', (_, row) => {
    expect(mapEvent(event(row), catalog).kind).toBe('not-authorization');
  });
});

describe('mapEvent: bad input', () => {
  it.each<[string, Row, RegExp]>([
    ['an unknown service', { source: 'notaservice', name: 'DoThing' }, /no IAM service with prefix "notaservice"/],
    ['a future event name', { source: 's3', name: 'TeleportBucket' }, /no IAM action s3:TeleportBucket/],
  ])('%s is unmapped with a reason, never invented', (_, row, reason) => {
    const outcome = mapEvent(event(row), catalog);
    expect(outcome.kind).toBe('unmapped');
    if (outcome.kind === 'unmapped') expect(outcome.reason).toMatch(reason);
  });

  it('never throws and only emits catalog actions, whatever the request parameters hold (property)', () => {
    const names = [
      'GetObject',
      'CopyObject',
      'DeleteObjects',
      'TransactWriteItems',
      'ExecuteStatement',
      'ReEncrypt',
      'SendMessage',
      'Invoke',
      'CreateFunction20150331',
      'GetParameters',
      'BatchGetItem',
      'RunTask',
    ];
    const sources = ['s3', 'dynamodb', 'kms', 'sqs', 'lambda', 'ssm', 'ecs', 'secretsmanager'];
    const params = fc.dictionary(
      fc.constantFrom(
        'bucketName',
        'key',
        'x-amz-copy-source',
        'delete',
        'requestItems',
        'statement',
        'keyId',
        'queueUrl',
        'functionName',
        'role',
        'names',
        '__proto__',
        'constructor',
        'overrides',
      ),
      fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.oneof(fc.string(), fc.object())), fc.object()),
    );
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.constantFrom(...names), params, (source, name, p) => {
        const outcome = mapEvent(event({ source, name, params: p }), catalog);
        if (outcome.kind === 'mapped' || outcome.kind === 'denied') {
          for (const access of outcome.accesses) expect(catalog.actionByQualifiedName(access.action)).toBeDefined();
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('mapEvent: more resource rules', () => {
  it.each<[string, Row, string[]]>([
    [
      "EventBridge PutEvents on each entry's bus",
      {
        source: 'events',
        name: 'PutEvents',
        params: {
          entries: [
            { eventBusName: 'orders' },
            { eventBusName: 'arn:aws:events:us-east-1:210987654321:event-bus/shared' },
            {},
          ],
        },
      },
      [
        'arn:aws:events:us-east-1:123456789012:event-bus/orders',
        'arn:aws:events:us-east-1:210987654321:event-bus/shared',
        'arn:aws:events:us-east-1:123456789012:event-bus/default',
      ],
    ],
    [
      'S3 object through an access point',
      {
        source: 's3',
        name: 'GetObject',
        params: { bucketName: 'arn:aws:s3:eu-west-1:210987654321:accesspoint/reports', key: 'q1.csv' },
      },
      ['arn:aws:s3:eu-west-1:210987654321:accesspoint/reports/object/q1.csv'],
    ],
  ])('%s', (_, row, resources) => {
    const outcome = mapEvent(event(row), catalog);
    expect(outcome.kind).toBe('mapped');
    if (outcome.kind === 'mapped') expect(outcome.accesses.map((a) => a.resource)).toEqual(resources);
  });
});
