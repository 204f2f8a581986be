/**
 * `pnpm bench`: from-trail throughput and memory on generated logs in the S3 delivery layout, as a ratio to a
 * baseline measured in the same run (decompress + JSON.parse of the same files, nothing else). The iamgen run
 * gets a heap cap well below the size of the events, so it fails if events are ever held in memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'events-per-file': { type: 'string', default: '1000' },
    'heap-mb': { type: 'string', default: '160' },
    /** Keep the generated logs in this folder, e.g. to profile a run. */
    keep: { type: 'string' },
  },
});
const totalEvents = Number(values.events);
const perFile = Number(values['events-per-file']);
const heapMb = Number(values['heap-mb']);
const account = '123456789012';
const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
const baselineScript = fileURLToPath(new URL('./baseline.js', import.meta.url));

const calls = [
  { source: 'dynamodb', name: 'GetItem', params: (i: number) => ({ tableName: `orders-${i % 7}` }) },
  { source: 'dynamodb', name: 'PutItem', params: (i: number) => ({ tableName: `orders-${i % 7}` }) },
  { source: 's3', name: 'GetObject', params: (i: number) => ({ bucketName: 'media', key: `in/${i % 500}.png` }) },
  {
    source: 'sqs',
    name: 'SendMessage',
    params: () => ({ queueUrl: `https://sqs.eu-west-1.amazonaws.com/${account}/jobs` }),
  },
  { source: 'kms', name: 'Decrypt', params: () => ({ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }) },
  { source: 'logs', name: 'PutLogEvents', params: () => ({ logGroupName: '/aws/lambda/app', logStreamName: 's' }) },
];

function event(i: number, time: Date): Record<string, unknown> {
  const role = i % 2 === 0 ? 'app' : `other-${i % 5}`;
  const call = calls[i % calls.length] ?? calls[0];
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${role}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/session-${i % 13}`,
      accountId: account,
      accessKeyId: 'ASIAEXAMPLE',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLE',
          arn: `arn:aws:iam::${account}:role/${role}`,
          accountId: account,
          userName: role,
        },
        attributes: { creationDate: time.toISOString(), mfaAuthenticated: 'false' },
      },
    },
    eventTime: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: `${call?.source}.amazonaws.com`,
    eventName: call?.name,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-sdk-js/3.600.0 ua/2.0 os/linux lang/js md/nodejs#20.11.0 api/bench',
    requestParameters: call?.params(i),
    responseElements: null,
    requestID: `req-${i}`,
    eventID: `evt-${i}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: call?.source !== 's3',
    recipientAccountId: account,
    eventCategory: call?.source === 's3' ? 'Data' : 'Management',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: `${call?.source}.eu-west-1.amazonaws.com`,
    },
  };
}

async function generate(root: string): Promise<{ bytes: number; files: number }> {
  const start = Date.UTC(2024, 0, 1);
  let bytes = 0;
  let files = 0;
  for (let first = 0; first < totalEvents; first += perFile) {
    const records = [];
    for (let i = first; i < Math.min(totalEvents, first + perFile); i++)
      records.push(event(i, new Date(start + i * 20_000)));
    const time = new Date(start + first * 20_000);
    const [y, m, d] = time.toISOString().slice(0, 10).split('-');
    const folder = join(root, 'AWSLogs', account, 'CloudTrail', 'eu-west-1', y ?? '', m ?? '', d ?? '');
    await mkdir(folder, { recursive: true });
    const json = JSON.stringify({ Records: records });
    bytes += json.length;
    await writeFile(join(folder, `${account}_CloudTrail_eu-west-1_${files}.json.gz`), gzipSync(json, { level: 1 }));
    files += 1;
  }
  return { bytes, files };
}

function timed(args: readonly string[]): { ms: number; status: number | null; stderr: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: result.status, stderr: result.stderr };
}

const root = values.keep ?? (await mkdtemp(join(tmpdir(), 'iamgen-bench-')));
try {
  const { bytes, files } = await generate(join(root, 'logs'));
  const logs = join(root, 'logs');
  const report = join(root, 'report.json');
  const baseline = timed([baselineScript, logs]);
  const run = timed([
    `--max-old-space-size=${heapMb}`,
    bin,
    'from-trail',
    '--role',
    'app',
    '--events',
    logs,
    '--out',
    join(root, 'p.json'),
    '--report',
    report,
  ]);
  if (baseline.status !== 0 || run.status !== 0) {
    process.stderr.write(
      `bench failed: baseline ${baseline.status}, iamgen ${run.status}\n${baseline.stderr}${run.stderr}\n`,
    );
    process.exit(1);
  }
  const counts = JSON.parse(await readFile(report, 'utf8')).counts as { eventsRead: number; matched: number };
  const mb = (bytes / 1024 / 1024).toFixed(0);
  const lines = [
    `events ${totalEvents} in ${files} gzipped files (${mb} MB of JSON); role matched ${counts.matched}`,
    `baseline (gunzip + JSON.parse only): ${baseline.ms.toFixed(0)} ms`,
    `iamgen from-trail (heap capped at ${heapMb} MB): ${run.ms.toFixed(0)} ms, ${Math.round((totalEvents / run.ms) * 1000)} events/s`,
    `ratio iamgen/baseline: ${(run.ms / baseline.ms).toFixed(2)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (counts.eventsRead !== totalEvents) {
    process.stderr.write(`bench: expected ${totalEvents} events read, report says ${counts.eventsRead}\n`);
    process.exit(1);
  }
} finally {
  if (values.keep === undefined) await rm(root, { recursive: true, force: true });
}
