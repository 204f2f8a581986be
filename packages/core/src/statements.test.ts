import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Grant } from './statements.js';
import { groupStatements } from './statements.js';

const levels: Readonly<Record<string, string>> = {
  'dynamodb:GetItem': 'Read',
  'dynamodb:Query': 'Read',
  'dynamodb:PutItem': 'Write',
  'dynamodb:TagResource': 'Tagging, Write',
  'dynamodb:ListTables': 'List',
  'iam:PassRole': 'Write',
  'iam:PutRolePolicy': 'Permissions management, Write',
  's3:GetObject': 'Read',
  's3:ListBucket': 'List',
  's3:PutObject': 'Write',
};
const options = { accessLevelOf: (action: string) => levels[action] };
const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders';

describe('groupStatements', () => {
  it('orders statements by service, then read, list, write, tagging, permissions management', () => {
    const grants: Grant[] = [
      { action: 'iam:PutRolePolicy', resource: 'arn:aws:iam::1:role/app' },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::1:role/app' },
      { action: 'dynamodb:TagResource', resource: table },
      { action: 'dynamodb:PutItem', resource: table },
      { action: 'dynamodb:ListTables', resource: '*' },
      { action: 'dynamodb:Query', resource: table },
      { action: 'dynamodb:GetItem', resource: table },
    ];
    expect(groupStatements(grants, options).map((s) => [s.Sid, s.Action])).toEqual([
      ['DynamodbReadOrders', ['dynamodb:GetItem', 'dynamodb:Query']],
      ['DynamodbListAll', ['dynamodb:ListTables']],
      ['DynamodbWriteOrders', ['dynamodb:PutItem']],
      ['DynamodbTagOrders', ['dynamodb:TagResource']],
      ['IamWriteApp', ['iam:PassRole']],
      ['IamPermissionsApp', ['iam:PutRolePolicy']],
    ]);
  });

  it.each([
    ['a table and its index', 'dynamodb:Query', [table, `${table}/index/byCustomer`], 'DynamodbReadOrders'],
    [
      'two tables',
      'dynamodb:GetItem',
      [table, 'arn:aws:dynamodb:us-east-1:1:table/orders-archive'],
      'DynamodbReadOrdersAndOrdersArchive',
    ],
    ['three tables', 'dynamodb:GetItem', [table, `${table}-a`, `${table}-b`], 'DynamodbReadOrdersAnd2More'],
    [
      'a log group',
      'logs:PutLogEvents',
      ['arn:aws:logs:us-east-1:1:log-group:/aws/lambda/orders-api:*'],
      'LogsOrdersApi',
    ],
    [
      'a function alias',
      'lambda:InvokeFunction',
      ['arn:aws:lambda:us-east-1:1:function:orders-api:live'],
      'LambdaOrdersApi',
    ],
    ['a KMS key by id', 'kms:Decrypt', ['arn:aws:kms:us-east-1:1:key/6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f'], 'KmsKey'],
    [
      'a stack by name and id',
      'cloudformation:DescribeStacks',
      ['arn:aws:cloudformation:us-east-1:1:stack/orders-api/*'],
      'CloudformationOrdersApi',
    ],
    [
      'a secret with its random suffix',
      'secretsmanager:GetSecretValue',
      ['arn:aws:secretsmanager:us-east-1:1:secret:orders/db-AbC123'],
      'SecretsmanagerDb',
    ],
    [
      'a bucket with an account id in its name',
      's3:GetObject',
      ['arn:aws:s3:::ci-artifacts-123456789012/x/*'],
      'S3ReadCiArtifacts',
    ],
    ['a queue', 'sqs:SendMessage', ['arn:aws:sqs:us-east-1:1:order-events'], 'SqsOrderEvents'],
    [
      'a parameterized name',
      'sqs:SendMessage',
      ['arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:orders-${Stage}'],
      'SqsOrders',
    ],
    ['a prefix pattern', 'lambda:GetFunction', ['arn:aws:lambda:us-east-1:1:function:report-*'], 'LambdaReport'],
    ['any resource', 'dynamodb:ListTables', ['*'], 'DynamodbListAll'],
  ])('names %s', (_, action, resources, sid) => {
    const [statement] = groupStatements(
      resources.map((resource) => ({ action, resource })),
      options,
    );
    expect(statement?.Sid).toBe(sid);
  });

  it('gives distinct Sids to statements that would read the same', () => {
    const sids = groupStatements(
      [
        { action: 's3:GetObject', resource: 'arn:aws:s3:::media/a' },
        { action: 's3:GetObject', resource: 'arn:aws:s3:::media/b' },
        { action: 's3:GetObjectAcl', resource: 'arn:aws:s3:::media/b' },
      ],
      { accessLevelOf: () => 'Read' },
    ).map((s) => s.Sid);
    expect(sids).toEqual(['S3ReadMedia', 'S3ReadMedia2']);
  });

  it('does not give a numbered Sid that another statement already reads as', () => {
    const sids = groupStatements(
      [
        { action: 's3:GetObject', resource: 'arn:aws:s3:::logs/a' },
        { action: 's3:GetObjectAcl', resource: 'arn:aws:s3:::logs/b' },
        { action: 's3:GetObjectTagging', resource: 'arn:aws:s3:::logs2/c' },
      ],
      { accessLevelOf: () => 'Read' },
    ).map((s) => s.Sid);
    expect(sids).toEqual(['S3ReadLogs', 'S3ReadLogs2', 'S3ReadLogs22']);
  });

  it('keeps Sids unique and made of Sid characters whatever the names (property)', () => {
    const grant = fc.record({
      action: fc.constantFrom(...Object.keys(levels), 'sqs:SendMessage', 'kms:Decrypt'),
      resource: fc.oneof(
        fc.constant('*'),
        fc.string().map((name) => `arn:aws:s3:::${name}`),
        fc.string().map((name) => `arn:aws:logs:us-east-1:1:log-group:${name}:*`),
        fc.string(),
      ),
    });
    fc.assert(
      fc.property(fc.array(grant, { maxLength: 25 }), (grants) => {
        const sids = groupStatements(grants, options).map((s) => s.Sid ?? '');
        expect(new Set(sids).size).toBe(sids.length);
        for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9]+$/);
      }),
    );
  });
});
