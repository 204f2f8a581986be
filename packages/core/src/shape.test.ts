import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { policySize } from './packing.js';
import { shapePolicy } from './shape.js';
import type { Access } from './types.js';

const table = 'arn:aws:dynamodb:us-east-1:1:table/orders';
const bucket = 'arn:aws:s3:::media';

describe('shapePolicy', () => {
  it('groups actions that share an identical resource set into one statement', () => {
    const { documents } = shapePolicy([
      { action: 'dynamodb:GetItem', resource: table },
      { action: 'dynamodb:PutItem', resource: table },
      { action: 's3:ListBucket', resource: bucket },
      { action: 'sqs:ListQueues', resource: '*' },
    ]);
    expect(documents).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DynamodbOrders',
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
            Resource: [table],
          },
          { Sid: 'S3Media', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
          { Sid: 'SqsAll', Effect: 'Allow', Action: ['sqs:ListQueues'], Resource: ['*'] },
        ],
      },
    ]);
  });

  it('merges condition values per key and drops conditions when the same grant was also used without them', () => {
    const key = 'arn:aws:kms:us-east-1:1:key/k';
    const viaS3: Access = {
      action: 'kms:Decrypt',
      resource: key,
      context: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
    };
    const viaSqs: Access = {
      action: 'kms:Decrypt',
      resource: key,
      context: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com' },
    };
    const [conditional] = shapePolicy([viaS3, viaSqs]).documents;
    expect(conditional?.Statement).toEqual([
      {
        Sid: 'KmsK',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [key],
        Condition: {
          StringEquals: { 'kms:ViaService': ['s3.us-east-1.amazonaws.com', 'sqs.us-east-1.amazonaws.com'] },
        },
      },
    ]);
    const [unconditional] = shapePolicy([viaS3, { action: 'kms:Decrypt', resource: key }]).documents;
    expect(unconditional?.Statement[0]).not.toHaveProperty('Condition');
  });

  it('collapses many object keys under one prefix to prefix/* at the threshold, and says so', () => {
    const keys = Array.from(
      { length: 3 },
      (_, i): Access => ({ action: 's3:GetObject', resource: `${bucket}/in/${i}.png` }),
    );
    const below = shapePolicy(keys, { policyKind: 'managed', objectPrefixThreshold: 4, generalize: 'exact' });
    expect(below.documents[0]?.Statement[0]?.Resource).toHaveLength(3);
    expect(below.generalizations).toEqual([]);
    const at = shapePolicy(keys, { policyKind: 'managed', objectPrefixThreshold: 3, generalize: 'exact' });
    expect(at.documents[0]?.Statement[0]?.Resource).toEqual([`${bucket}/in/*`]);
    expect(at.generalizations).toEqual([
      {
        rule: 's3-object-prefix',
        into: `${bucket}/in/*`,
        replaced: 3,
        covers: keys.map((k) => k.resource),
        because: '3 distinct keys in one folder (threshold 3)',
      },
    ]);
  });

  it('grants the streams of a log group, since stream names change with every execution environment', () => {
    const shaped = shapePolicy([
      {
        action: 'logs:CreateLogStream',
        resource: 'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/app:log-stream:2024/05/01/[$LATEST]abc',
      },
      {
        action: 'logs:CreateLogStream',
        resource: 'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/app:log-stream:2024/05/02/[$LATEST]def',
      },
    ]);
    expect(shaped.documents[0]?.Statement[0]?.Resource).toEqual([
      'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/app:*',
    ]);
    expect(shaped.generalizations).toMatchObject([
      { rule: 'log-streams-of-group', into: 'arn:aws:logs:us-east-1:1:log-group:/aws/lambda/app:*', replaced: 2 },
    ]);
  });

  it('splits over the size limit into documents that each fit', () => {
    const accesses = Array.from(
      { length: 120 },
      (_, i): Access => ({
        action: i % 2 === 0 ? 'dynamodb:GetItem' : 'sqs:SendMessage',
        resource: i % 2 === 0 ? `${table}-${i}` : `arn:aws:sqs:us-east-1:1:queue-${i}`,
      }),
    );
    const shaped = shapePolicy(accesses, {
      policyKind: 'user-inline',
      objectPrefixThreshold: 0,
      generalize: 'exact',
      maxDocuments: 100,
    });
    expect(shaped.documents.length).toBeGreaterThan(1);
    for (const document of shaped.documents) expect(policySize(document)).toBeLessThanOrEqual(2048);
    const granted = shaped.documents.flatMap((d) => d.Statement.flatMap((s) => s.Resource as string[]));
    expect(new Set(granted).size).toBe(120);
  });

  it('does not depend on the order accesses arrive in (property)', () => {
    const access = fc.record({
      action: fc.constantFrom('s3:GetObject', 's3:PutObject', 'dynamodb:Query', 'kms:Decrypt', 'sqs:ListQueues'),
      resource: fc.constantFrom('*', `${bucket}/x`, `${bucket}/y/z`, table, `${table}/index/byDate`),
    });
    fc.assert(
      fc.property(fc.array(access, { minLength: 1, maxLength: 30 }), fc.infiniteStream(fc.nat()), (accesses, seeds) => {
        const shuffled = [...accesses].sort(() => (seeds.next().value % 3) - 1);
        expect(JSON.stringify(shapePolicy(shuffled).documents)).toBe(JSON.stringify(shapePolicy(accesses).documents));
      }),
    );
  });
});
