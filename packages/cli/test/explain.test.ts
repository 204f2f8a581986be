import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { trailEvent } from './trail-fixtures.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-explain-'));
  const records = [
    trailEvent({
      source: 'dynamodb',
      name: 'GetItem',
      params: { tableName: 'orders' },
      eventId: 'ev-2',
      time: '2024-05-02T00:00:00Z',
    }),
    trailEvent({
      source: 'dynamodb',
      name: 'GetItem',
      params: { tableName: 'orders' },
      eventId: 'ev-1',
      time: '2024-05-01T00:00:00Z',
    }),
    trailEvent({ source: 'sqs', name: 'ListQueues', eventId: 'ev-3' }),
  ];
  await writeFile(join(dir, 'a.json'), JSON.stringify({ Records: records }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('from-trail --explain', () => {
  it('prints every statement with its events and the earliest sample event on stderr', async () => {
    const result = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir, '--explain'], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'DynamodbReadOrders (document 1): dynamodb:GetItem on 1 resource; 2 events, 2024-05-01T00:00:00.000Z – 2024-05-02T00:00:00.000Z',
    );
    expect(result.stderr).toContain('sample event ev-1');
    expect(result.stderr).toContain('SqsReadAll (document 1): sqs:ListQueues on 1 resource; 1 events');
  });

  it('writes Markdown to a file, and the report carries the same evidence', async () => {
    const result = await runCliCaptured(
      ['from-trail', '--role', 'app', '--events', dir, '--explain', 'why.md', '--report', 'report.json'],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('iamgen:');
    const markdown = await readFile(join(dir, 'why.md'), 'utf8');
    expect(markdown).toMatch(/^# Evidence for role app\n/);
    expect(markdown).toContain('## DynamodbReadOrders');
    expect(markdown).toContain('| ev-1 |');
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(report.statements.map((s: { sid: string; events: number }) => [s.sid, s.events])).toEqual([
      ['DynamodbReadOrders', 2],
      ['SqsReadAll', 1],
    ]);
    expect(report.statements[0].samples[0].sampleEventId).toBe('ev-1');
  });
});
