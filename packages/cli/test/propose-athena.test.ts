import { resourceRequestFields } from '@iamgen/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityRow } from '../src/sources/athena-activity.js';
import type { Moto } from './moto.js';
import { motoAvailable, startMoto } from './moto.js';
import { daysAgo, Scenario } from './propose-scenario.js';

const roleArn = 'arn:aws:iam::123456789012:role/service-role/orders-api-handler';
const policy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:DeleteTable', 'sqs:ListQueues'], Resource: '*' },
  ],
};

/** Rows as the aggregated activity query returns them: a header row, then one row per distinct call. */
function resultRows(
  calls: { source: string; name: string; table?: string; count: number; first: number; last: number }[],
) {
  const header = [
    'eventsource',
    'eventname',
    'awsregion',
    'recipientaccountid',
    'errorcode',
    'eventtype',
    'invokedby',
    ...resourceRequestFields.map((_, i) => `request_${i}`),
    'resource_arns',
    'event_count',
    'first_seen',
    'last_seen',
  ];
  const tableField = `request_${resourceRequestFields.indexOf('$.tableName')}`;
  const rows = calls.map((call) =>
    header.map((column) => {
      const value: Record<string, string | undefined> = {
        eventsource: `${call.source}.amazonaws.com`,
        eventname: call.name,
        awsregion: 'us-east-1',
        recipientaccountid: '123456789012',
        eventtype: 'AwsApiCall',
        [tableField]: call.table,
        event_count: String(call.count),
        first_seen: daysAgo(call.first),
        last_seen: daysAgo(call.last),
      };
      return value[column] === undefined ? {} : { VarCharValue: value[column] };
    }),
  );
  return [header.map((name) => ({ VarCharValue: name })), ...rows].map((Data) => ({ Data }));
}

const available = motoAvailable();
let moto: Moto | undefined;
const saved = { ...process.env };

beforeAll(async () => {
  if (!available) return;
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  moto = await startMoto();
});
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

describe.skipIf(!available)('propose reading aggregated activity from Athena', () => {
  it('folds the rows like events: counts, first/last seen and resources from the request fields', async () => {
    const endpoint = moto?.endpoint ?? '';
    const seeded = await fetch(`${endpoint}/moto-api/static/athena/query-results`, {
      method: 'POST',
      body: JSON.stringify({
        region: 'us-east-1',
        results: [
          {
            rows: resultRows([
              { source: 'dynamodb', name: 'GetItem', table: 'orders', count: 1200, first: 80, last: 1 },
              { source: 'sqs', name: 'ListQueues', count: 7, first: 60, last: 2 },
            ]),
          },
        ],
      }),
    });
    expect(seeded.status).toBe(201);
    const s = await Scenario.create([
      { files: { 'policy.json': `${JSON.stringify(policy, null, 2)}\n` }, daysAgo: 60 },
    ]);
    try {
      await s.writeConfig({
        events: [],
        athena: { table: 'security.cloudtrail_logs', regions: ['us-east-1'], output: 's3://athena-results/' },
        aws: { endpointUrl: endpoint, region: 'us-east-1' },
        policies: [{ role: roleArn, file: 'policy.json' }],
      });
      const result = await s.run([]);
      expect(result.stderr).toBe('propose: 1 principal: 1 opened\n');
      const proposed = JSON.parse(s.onOrigin('iamgen/orders-api-handler', 'policy.json') ?? '{}');
      expect(proposed.Statement).toEqual([
        {
          Sid: 'AllowDynamodb',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem'],
          Resource: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders'],
        },
        { Sid: 'AllowSqs', Effect: 'Allow', Action: ['sqs:ListQueues'], Resource: ['*'] },
      ]);
      const body = s.github.pulls[0]?.body ?? '';
      expect(body).toContain('read from `Athena security.cloudtrail_logs`');
      expect(body).toMatch(/\| `AllowDynamodb` \| `dynamodb:GetItem` \| 1200 \| \d{4}-\d\d-\d\d \|/);
    } finally {
      await s.close();
    }
  });
});

describe('an aggregated Athena row as a CloudTrail record', () => {
  it('rebuilds identity, request fields, resources and the sighting', () => {
    const field = (path: string) => `request_${resourceRequestFields.indexOf(path)}`;
    const row = activityRow(
      new Map([
        ['eventsource', 's3.amazonaws.com'],
        ['eventname', 'CopyObject'],
        ['awsregion', 'eu-west-1'],
        ['recipientaccountid', '123456789012'],
        ['errorcode', ''],
        ['invokedby', ''],
        [field('$.bucketName'), 'dest'],
        [field('$.key'), 'a/b.txt'],
        [field('$["x-amz-copy-source"]'), 'src/a.txt'],
        ['resource_arns', 'arn:aws:s3:::dest/a/b.txt arn:aws:s3:::dest'],
        ['event_count', '42'],
        ['first_seen', '2024-04-01T00:00:00Z'],
        ['last_seen', '2024-05-01T00:00:00Z'],
      ]),
      { kind: 'role', arn: roleArn },
      { source: 'athena t', index: 0 },
    );
    expect(row.sighting).toEqual({ count: 42, firstSeen: '2024-04-01T00:00:00Z', lastSeen: '2024-05-01T00:00:00Z' });
    expect(row.record).toMatchObject({
      eventSource: 's3.amazonaws.com',
      eventName: 'CopyObject',
      eventTime: '2024-05-01T00:00:00Z',
      requestParameters: { bucketName: 'dest', key: 'a/b.txt', 'x-amz-copy-source': 'src/a.txt' },
      resources: [{ ARN: 'arn:aws:s3:::dest/a/b.txt' }, { ARN: 'arn:aws:s3:::dest' }],
      userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: roleArn } } },
    });
    expect(row.record).not.toHaveProperty('errorCode');
  });
});
