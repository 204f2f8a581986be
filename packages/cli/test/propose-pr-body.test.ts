import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from '@iamgen/core';
import { describe, expect, it } from 'vitest';
import { iamCatalog } from '../src/catalog.js';
import { parseConfig } from '../src/propose/config.js';
import { pullRequestBody, pullRequestTitle } from '../src/propose/pr-body.js';
import { shrinkPolicy } from '../src/propose/shrink.js';

const golden = join(import.meta.dirname, 'fixtures', 'propose-pr-body.md');
const table = 'arn:aws:dynamodb:us-east-1:123456789012:table';

describe('the pull request body (golden file)', () => {
  it('shows the diff, evidence, blind spots, opt-out and rollback', () => {
    const current: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:DeleteTable', 'sqs:ListQueues'], Resource: '*' },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::invoices|2024/*' },
        { Sid: 'KeepBreakGlass', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' },
      ],
    };
    const observed = [
      {
        access: { action: 'dynamodb:GetItem', resource: `${table}/orders` },
        count: 120,
        firstSeen: '2024-03-01T10:00:00Z',
        lastSeen: '2024-05-30T10:00:00Z',
        sampleEventId: 'ev-`1`',
      },
      {
        access: { action: 'sns:Publish', resource: 'arn:aws:sns:us-east-1:123456789012:t' },
        count: 2,
        firstSeen: '2024-05-01T00:00:00Z',
        lastSeen: '2024-05-02T00:00:00Z',
      },
    ];
    const shrunk = shrinkPolicy({
      current,
      observed,
      catalog: iamCatalog(),
      keepSid: /Keep/,
      dataEventServices: new Set(['dynamodb']),
      recentGrants: [],
      objectPrefixThreshold: 20,
    });
    const config = parseConfig(
      { events: ['s3://trail/AWSLogs/'], policies: [{ role: 'orders-api-handler', file: 'infra/<orders>.json' }] },
      'iamgen.config.yaml',
    );
    const entry = config.policies[0];
    if (entry === undefined) throw new Error('no entry');
    const facts = {
      entry,
      where: 'the policy document',
      diff: shrunk.diff,
      evidence: shrunk.evidence,
      notGranted: shrunk.notGranted,
      previous: current,
      window: { since: '2024-03-01T00:00:00Z', until: '2024-05-31T00:00:00Z' },
      sources: 's3://trail/AWSLogs/',
      unknownDataPlaneServices: ['s3'],
      unmappedEvents: 3,
      keepSidPattern: 'Keep',
      graceDays: 14,
      configPath: 'iamgen.config.yaml',
    };
    const body = pullRequestBody(facts);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) writeFileSync(golden, body);
    expect(body).toBe(readFileSync(golden, 'utf8'));
    expect(pullRequestTitle(config.title, facts)).toBe(
      `iamgen: least privilege for role orders-api-handler (${shrunk.diff.reductionPercent}% fewer grants)`,
    );
  });
});
