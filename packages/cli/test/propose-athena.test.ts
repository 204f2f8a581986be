import { projectionTwin } from '@iamgen/athena-queries';
import { resourceRequestFields } from '@iamgen/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iamCatalog } from '../src/catalog.js';
import type { Moto } from './moto.js';
import { motoAvailable, seedAthenaRows, startMoto } from './moto.js';
import { Scenario, spread } from './propose-scenario.js';

const policy = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:DeleteTable', 'sqs:ListQueues'], Resource: '*' },
  ],
};

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

/** Queues the rows moto answers the next query with: what Athena would aggregate from these records. */
async function seed(records: readonly Record<string, unknown>[]) {
  const rows = projectionTwin(records, resourceRequestFields(iamCatalog()));
  expect(await seedAthenaRows(moto?.endpoint ?? '', rows)).toBe(201);
}

describe.skipIf(!available)('propose reading the trail through Athena', () => {
  it('shrinks the policy from the aggregated rows, with their counts as evidence', async () => {
    await seed([
      ...spread(
        { role: 'orders-api-handler', source: 'dynamodb', name: 'GetItem', params: { tableName: 'orders' } },
        15,
        80,
        1,
        'get',
      ),
      ...spread({ role: 'orders-api-handler', source: 'sqs', name: 'ListQueues' }, 5, 60, 2, 'list'),
    ]);
    const s = await Scenario.create([
      { files: { 'policy.json': `${JSON.stringify(policy, null, 2)}\n` }, daysAgo: 60 },
    ]);
    try {
      await s.writeConfig({
        events: [],
        athena: { table: 'security.cloudtrail', regions: ['us-east-1'], output: 's3://athena-results/' },
        aws: { endpointUrl: moto?.endpoint, region: 'us-east-1' },
        policies: [{ role: 'orders-api-handler', file: 'policy.json' }],
      });
      const result = await s.run([]);
      expect(result.stderr).toBe('propose: 1 principal: 1 opened\n');
      const proposed = JSON.parse(s.onOrigin('iamgen/orders-api-handler', 'policy.json') ?? '{}');
      expect(proposed.Statement).toEqual([
        {
          Sid: 'DynamodbOrders',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem'],
          Resource: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders'],
        },
        { Sid: 'SqsAll', Effect: 'Allow', Action: ['sqs:ListQueues'], Resource: ['*'] },
      ]);
      const body = s.github.pulls[0]?.body ?? '';
      expect(body).toContain('read from `Athena security.cloudtrail`');
      expect(body).toMatch(/\| `DynamodbOrders` \| `dynamodb:GetItem` \| 15 \| \d{4}-\d\d-\d\d \|/);
    } finally {
      await s.close();
    }
  });
});
