import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { trailEvent } from './trail-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-explain-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const get = (time: string, id: string) => ({
  ...trailEvent({ role: 'app', source: 'dynamodb', name: 'GetItem', params: { tableName: 'orders' }, time }),
  eventID: id,
});

describe('from-trail --explain and the report carry evidence per statement', () => {
  it('names events, first and last seen and a sample event for every statement', async () => {
    const records = [
      get('2024-05-01T10:00:00Z', 'e-1'),
      get('2024-05-03T10:00:00Z', 'e-2'),
      {
        ...trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues', time: '2024-05-02T00:00:00Z' }),
        eventID: 'e-3',
      },
    ];
    await writeFile(join(dir, 'a.json'), JSON.stringify({ Records: records }));
    const report = join(dir, 'report.json');
    const result = await runCliCaptured(
      ['from-trail', '--role', 'app', '--events', dir, '--explain', '--report', report],
      dir,
    );
    expect(result.code).toBe(0);
    const evidence = JSON.parse(await readFile(report, 'utf8')).evidence;
    expect(evidence).toEqual([
      {
        sid: 'AllowDynamodb',
        actions: ['dynamodb:GetItem'],
        events: 2,
        firstSeen: '2024-05-01T10:00:00.000Z',
        lastSeen: '2024-05-03T10:00:00.000Z',
        sampleEventId: 'e-1',
      },
      {
        sid: 'AllowSqs',
        actions: ['sqs:ListQueues'],
        events: 1,
        firstSeen: '2024-05-02T00:00:00.000Z',
        lastSeen: '2024-05-02T00:00:00.000Z',
        sampleEventId: 'e-3',
      },
    ]);
    expect(result.stderr).toContain(
      'AllowDynamodb: dynamodb:GetItem: 2 events, 2024-05-01T10:00:00.000Z … 2024-05-03T10:00:00.000Z, e.g. event e-1\n',
    );
    const quiet = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir], dir);
    expect(quiet.stderr).not.toContain('e.g. event');
  });
});
