import type { Access, IamCatalog, ObservedAccess, PolicyDocument, PolicyStatement } from '@iamgen/core';
import { diffPolicies, evaluate } from '@iamgen/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { iamCatalog } from '../src/catalog.js';
import type { ShrinkInput } from '../src/propose/shrink.js';
import { ShrinkFailure, shrinkPolicy } from '../src/propose/shrink.js';

let catalog: IamCatalog;
beforeAll(() => {
  catalog = iamCatalog();
});

const table = 'arn:aws:dynamodb:us-east-1:123456789012:table';
const bucket = 'arn:aws:s3:::invoices';
const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const seen = (access: Access, count = 1): ObservedAccess => ({
  access,
  count,
  firstSeen: '2024-04-01T00:00:00Z',
  lastSeen: '2024-05-01T00:00:00Z',
});
const shrink = (current: PolicyDocument, observed: ObservedAccess[], overrides: Partial<ShrinkInput> = {}) =>
  shrinkPolicy({
    current,
    observed,
    catalog,
    keepSid: /Keep/,
    dataEventServices: new Set(['dynamodb', 's3']),
    recentGrants: [],
    objectPrefixThreshold: 20,
    ...overrides,
  });
const actions = (document: PolicyDocument) => document.Statement.flatMap((s) => [s.Action ?? []].flat()).sort();

describe('shrinkPolicy', () => {
  const broad = doc({
    Effect: 'Allow',
    Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'sqs:ListQueues'],
    Resource: '*',
  });
  const getOrders = seen({ action: 'dynamodb:GetItem', resource: `${table}/orders` }, 5);

  const cases: {
    name: string;
    current: PolicyDocument;
    observed: ObservedAccess[];
    input?: Partial<ShrinkInput>;
    actions: string[];
    notGranted?: string[];
  }[] = [
    { name: 'keeps only what was used', current: broad, observed: [getOrders], actions: ['dynamodb:GetItem'] },
    {
      name: 'never adds what the file does not grant, and reports it',
      current: broad,
      observed: [getOrders, seen({ action: 'sns:Publish', resource: 'arn:aws:sns:us-east-1:123456789012:t' })],
      actions: ['dynamodb:GetItem'],
      notGranted: ['sns:Publish'],
    },
    {
      name: 'an explicit Deny in the file is carried and its target not granted',
      current: doc(...broad.Statement, { Effect: 'Deny', Action: 'dynamodb:GetItem', Resource: `${table}/orders` }),
      observed: [getOrders],
      actions: ['dynamodb:GetItem'],
      notGranted: ['dynamodb:GetItem'],
    },
    {
      name: 'statements with a Keep Sid are carried whole',
      current: doc(...broad.Statement, { Sid: 'KeepBreakGlass', Effect: 'Allow', Action: 'iam:*', Resource: '*' }),
      observed: [getOrders],
      actions: ['dynamodb:GetItem', 'iam:*'],
    },
    {
      name: 'data-plane grants of services without data events are kept',
      current: broad,
      observed: [],
      input: { dataEventServices: new Set() },
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    },
    {
      name: 'recent grants are kept',
      current: broad,
      observed: [getOrders],
      input: { recentGrants: [{ action: 'sqs:ListQueues', resource: '*', conditional: false }] },
      actions: ['dynamodb:GetItem', 'sqs:ListQueues'],
    },
    {
      name: 'a grant the file gives only under a condition iamgen cannot check keeps its condition',
      current: doc({
        Effect: 'Allow',
        Action: ['sqs:ListQueues', 'sqs:CreateQueue'],
        Resource: '*',
        Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } },
      }),
      observed: [seen({ action: 'sqs:ListQueues', resource: '*' })],
      actions: ['sqs:ListQueues'],
    },
    {
      name: 'a use covered by a conditional Keep statement is neither granted again nor reported as missing',
      current: doc(
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: '*' },
        {
          Sid: 'KeepOffice',
          Effect: 'Allow',
          Action: 'sqs:ListQueues',
          Resource: '*',
          Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } },
        },
      ),
      observed: [getOrders, seen({ action: 'sqs:ListQueues', resource: '*' })],
      actions: ['dynamodb:GetItem', 'sqs:ListQueues'],
    },
    {
      name: 'calls CloudTrail never logs but the observed ones imply are kept where the file grants them',
      current: doc({
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DeleteLogGroup'],
        Resource: '*',
      }),
      observed: [
        seen({
          action: 'logs:CreateLogStream',
          resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:log-stream:2024/05/01/abc',
        }),
      ],
      input: { dataEventServices: new Set(['logs']) },
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    },
    {
      name: 'NotAction statements shrink to the actions used',
      current: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
      observed: [getOrders],
      input: {
        dataEventServices: new Set([
          'dynamodb',
          's3',
          'sqs',
          'sns',
          'lambda',
          'kinesis',
          'logs',
          'states',
          'execute-api',
          'bedrock',
          'cloudwatch',
          'xray',
          's3-object-lambda',
        ]),
      },
      actions: ['dynamodb:GetItem'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = shrink(c.current, c.observed, c.input);
      expect(actions(result.next)).toEqual(c.actions);
      expect(result.notGranted.map((o) => o.access.action)).toEqual(c.notGranted ?? []);
      expect(result.diff.added).toEqual([]);
    });
  }

  it('carries partial statements with stable Sids, and evidence for each statement', () => {
    const result = shrink(
      doc({ Effect: 'Allow', Action: ['s3:GetObject', 's3:GetBucketAcl'], Resource: [bucket, `${bucket}/*`] }),
      [seen({ action: 's3:GetBucketAcl', resource: bucket }, 3)],
      { dataEventServices: new Set() },
    );
    expect(result.next.Statement).toEqual([
      { Sid: 'UnverifiedDataPlane', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [bucket, `${bucket}/*`] },
      { Sid: 'S3Invoices', Effect: 'Allow', Action: ['s3:GetBucketAcl'], Resource: [bucket] },
    ]);
    expect(result.evidence).toEqual([
      { sid: 'UnverifiedDataPlane', carried: ['unknown-data-plane'], actions: ['s3:GetObject'], events: 0 },
      {
        sid: 'S3Invoices',
        actions: ['s3:GetBucketAcl'],
        events: 3,
        firstSeen: '2024-04-01T00:00:00Z',
        lastSeen: '2024-05-01T00:00:00Z',
      },
    ]);
  });

  it('names the sample event of the latest use when the read provides one', () => {
    const result = shrink(broad, [
      { ...getOrders, sampleEventId: 'early', lastSeen: '2024-04-02T00:00:00Z' },
      { ...seen({ action: 'dynamodb:GetItem', resource: `${table}/archive` }), sampleEventId: 'late' },
    ]);
    expect(result.evidence[0]?.sampleEventId).toBe('late');
  });

  it('falls back to exact object keys when a generalized prefix would reach past the file', () => {
    const keys = Array.from({ length: 3 }, (_, i) => seen({ action: 's3:GetObject', resource: `${bucket}/a/${i}` }));
    const current = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: keys.map((k) => k.access.resource) });
    const result = shrink(current, keys, { objectPrefixThreshold: 2 });
    expect(result.next.Statement.flatMap((s) => [s.Resource].flat())).toEqual(keys.map((k) => k.access.resource));
  });

  it('is a fixed point: shrinking its own output again changes nothing', () => {
    const listQueues = seen({ action: 'sqs:ListQueues', resource: '*' });
    for (const [observed, services] of [
      [[getOrders, listQueues], ['dynamodb']],
      [[listQueues], []],
    ] as const) {
      const first = shrink(broad, [...observed], { dataEventServices: new Set(services) });
      const second = shrink(first.next, [...observed], { dataEventServices: new Set(services) });
      expect(second.next).toEqual(first.next);
      expect(second.diff.changed).toBe(false);
    }
  });

  it('property: never grants what the file did not, and still allows every observed access the file allowed', () => {
    const actionPool = [
      's3:GetObject',
      's3:PutObject',
      's3:ListBucket',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'sqs:ListQueues',
    ];
    const resourcePool = ['*', bucket, `${bucket}/*`, `${bucket}/k/1`, `${table}/orders`, `${table}/*`];
    const statement = fc.record({
      Effect: fc.constantFrom('Allow', 'Allow', 'Allow', 'Deny') as fc.Arbitrary<'Allow' | 'Deny'>,
      Action: fc.uniqueArray(fc.constantFrom(...actionPool), { minLength: 1, maxLength: 4 }),
      Resource: fc.uniqueArray(fc.constantFrom(...resourcePool), { minLength: 1, maxLength: 3 }),
    });
    const access = fc.record({
      action: fc.constantFrom(...actionPool),
      resource: fc.constantFrom(
        `${bucket}/k/1`,
        `${bucket}/k/2`,
        bucket,
        `${table}/orders`,
        `${table}/orders/index/x`,
        '*',
      ),
    });
    fc.assert(
      fc.property(
        fc.array(statement, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(access, { maxLength: 6, selector: (a) => `${a.action} ${a.resource}` }),
        fc.boolean(),
        (statements, accesses, dataEvents) => {
          const current = doc(...statements);
          let result: ReturnType<typeof shrink>;
          try {
            result = shrink(
              current,
              accesses.map((a) => seen(a)),
              {
                dataEventServices: new Set(dataEvents ? ['s3', 'dynamodb'] : []),
              },
            );
          } catch (error) {
            if (error instanceof ShrinkFailure) return false;
            throw error;
          }
          expect(diffPolicies([current], [result.next], catalog, { dataEventsSeen: true }).added).toEqual([]);
          for (const a of accesses)
            if (evaluate([current], a).decision === 'allow') expect(evaluate([result.next], a).decision).toBe('allow');
          return true;
        },
      ),
      { numRuns: 20, seed: 7 },
    );
  });
});
