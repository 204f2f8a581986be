import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { trailEvent } from './trail-fixtures.js';

/** A CloudTrail endpoint speaking the real JSON 1.1 LookupEvents protocol, with two pages of events. */
const pages = [
  [
    trailEvent({
      role: 'app',
      source: 'ssm',
      name: 'GetParameter',
      params: { name: '/app/flag' },
      time: '2024-05-01T10:00:00Z',
    }),
    trailEvent({ role: 'other', source: 'sqs', name: 'ListQueues', time: '2024-05-01T10:01:00Z' }),
  ],
  [trailEvent({ role: 'app', source: 'sts', name: 'GetCallerIdentity', time: '2024-05-01T10:02:00Z' })],
];
const requests: { target: string | undefined; body: Record<string, unknown> }[] = [];

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

let server: Server;
let endpoint: string;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-lookup-'));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
  server = createServer(async (request, response) => {
    const parsed = JSON.parse(await body(request)) as Record<string, unknown>;
    requests.push({ target: request.headers['x-amz-target'] as string | undefined, body: parsed });
    const page = parsed.NextToken === 'page-2' ? 1 : 0;
    const events = (pages[page] ?? []).map((event, i) => ({
      EventId: `${page}-${i}`,
      EventName: event.eventName,
      EventTime: Date.parse(String(event.eventTime)) / 1000,
      EventSource: event.eventSource,
      CloudTrailEvent: JSON.stringify(event),
    }));
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(page === 0 ? { Events: events, NextToken: 'page-2' } : { Events: events }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('--lookup-events', () => {
  it('pages through LookupEvents with the window and says the source holds no data events', async () => {
    const result = await runCliCaptured(
      [
        'from-trail',
        '--role',
        'app',
        '--lookup-events',
        'eu-west-1',
        '--since',
        '2024-05-01',
        '--until',
        '2024-05-02',
        '--endpoint-url',
        endpoint,
        '--report',
        'report.json',
      ],
      dir,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).Statement).toEqual([
      {
        Sid: 'SsmReadFlag',
        Effect: 'Allow',
        Action: ['ssm:GetParameter'],
        Resource: ['arn:aws:ssm:us-east-1:123456789012:parameter/app/flag'],
      },
    ]);
    expect(requests.map((r) => r.target)).toEqual([
      'CloudTrail_20131101.LookupEvents',
      'CloudTrail_20131101.LookupEvents',
    ]);
    expect(requests[0]?.body).toMatchObject({
      StartTime: Date.parse('2024-05-01T00:00:00Z') / 1000,
      EndTime: Date.parse('2024-05-02T00:00:00Z') / 1000,
    });
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(report.dataEvents).toBe('not-in-source');
    expect(report.counts).toMatchObject({
      eventsRead: 3,
      matched: 2,
      skipped: { 'other-principal': 1, 'needs no permission': 1 },
    });
  });

  it('fails with one line when the API cannot be reached', async () => {
    const result = await runCliCaptured(
      ['roles', '--lookup-events', 'eu-west-1', '--endpoint-url', 'http://127.0.0.1:9'],
      dir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^iamgen: cannot read LookupEvents in eu-west-1 \(/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('needs a source', async () => {
    const result = await runCliCaptured(['roles'], dir);
    expect(result).toMatchObject({
      code: 2,
      stderr: 'iamgen: give --events <file|folder|s3://bucket/prefix> or --lookup-events <region>\n',
    });
  });
});
