import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, open, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { reliability } from './reliability.js';
import { trailEvent } from './trail-fixtures.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
let dir: string;

const appEvent = (name: string, extra: Record<string, unknown> = {}) => ({
  ...trailEvent({ role: 'app', source: 'sqs', name }),
  ...extra,
});
const logText = (...records: unknown[]) => JSON.stringify({ Records: records });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-hostile-'));
  // Readable by an unprivileged user too: the permission case runs the binary as one when the tests run as root.
  await chmod(dir, 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A folder holding one good log (so the run has something to trust) and whatever hostile files a case adds. */
async function caseFolder(name: string, files: Record<string, string | Uint8Array>): Promise<string> {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'good.json'), logText(appEvent('ListQueues')));
  for (const [file, content] of Object.entries(files)) await writeFile(join(folder, file), content);
  return folder;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  report: {
    counts: { files: number; unreadableFiles: number; malformedRecords: number; eventsRead: number };
    problems: string[];
  };
  actions: string[];
}

async function fromTrail(folder: string, ...extra: string[]): Promise<Run> {
  const result = await runCliCaptured(
    ['from-trail', '--role', 'app', '--events', '.', '--report', '../report.json', ...extra],
    folder,
  );
  const report = JSON.parse(await readFile(join(folder, '../report.json'), 'utf8')) as Run['report'];
  const actions =
    result.code === 0 && result.stdout !== ''
      ? (JSON.parse(result.stdout) as { Statement: { Action: string[] }[] }).Statement.flatMap((s) => s.Action)
      : [];
  return { ...result, report, actions };
}

const asRoot = process.getuid?.() === 0;
/** Root reads any file; without these capabilities (util-linux `setpriv`) it is refused like anyone else. */
const withoutFileOverride = [
  '--bounding-set=-dac_override,-dac_read_search',
  '--inh-caps=-dac_override,-dac_read_search',
];
const canDropFileOverride = spawnSync('setpriv', ['--version']).status === 0;

/**
 * Runs the built binary and returns its exit, streams and peak resident memory in MiB; `unprivileged` as root
 * drops the capabilities that let root read any file.
 */
function measured(args: readonly string[], cwd: string, options: { unprivileged?: boolean } = {}) {
  const probe = `process.on('exit', () => process.stderr.write('maxrss=' + process.resourceUsage().maxRSS + '\\n')); await import(${JSON.stringify(bin)});`;
  const node = [process.execPath, '--input-type=module', '-e', probe, 'iamgen', ...args];
  const [command, ...rest] = options.unprivileged && asRoot ? ['setpriv', ...withoutFileOverride, ...node] : node;
  const result = spawnSync(command ?? process.execPath, rest, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  const rss = Number(/maxrss=(\d+)/.exec(result.stderr)?.[1] ?? 0) / 1024;
  // A run that did not exit on its own (a signal, a spawn error) says how, for the assertion that follows.
  const ended = result.status ?? `${result.signal ?? ''} ${result.error?.message ?? ''}`.trim();
  return { code: ended, stdout: result.stdout, stderr: result.stderr.replace(/maxrss=\d+\n/, ''), rss };
}

describe('hostile log files: skipped with a named reason, counted, the run goes on', () => {
  it(
    '[reliability] truncated gzip',
    reliability({
      area: 'input',
      fault: 'truncated gzip file',
      produced: 'a .json.gz with its last 10 bytes cut off, and an empty .json.gz',
      expected:
        'skipped as "cannot decompress (truncated gzip data)" and "empty file (0 bytes)", counted as unreadable; the other files give the policy',
    }),
    async () => {
      const gz = gzipSync(logText(appEvent('SendMessage')));
      const run = await fromTrail(
        await caseFolder('truncated', { 'cut.json.gz': gz.subarray(0, gz.length - 10), 'empty.json.gz': '' }),
      );
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('warning: cut.json.gz: cannot decompress (truncated gzip data)\n');
      expect(run.stderr).toContain('warning: empty.json.gz: empty file (0 bytes)\n');
      expect(run.report.counts).toMatchObject({ files: 3, unreadableFiles: 2 });
      expect(run.actions).toEqual(['sqs:ListQueues']);
    },
  );

  it(
    '[reliability] concatenated gzip members',
    reliability({
      area: 'input',
      fault: 'several gzip members in one file (valid gzip)',
      produced: 'two gzip members concatenated, the JSON split across them',
      expected: 'every member read: the records of both are in the policy; nothing reported',
    }),
    async () => {
      const queue = { requestParameters: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs' } };
      const text = logText(
        appEvent('SendMessage', queue),
        appEvent('GetQueueUrl', { requestParameters: { queueName: 'jobs' } }),
      );
      const half = text.length >> 1;
      const joined = Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half))]);
      const run = await fromTrail(await caseFolder('members', { 'two.json.gz': joined }));
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain('two.json.gz');
      expect(run.report.counts).toMatchObject({ unreadableFiles: 0, malformedRecords: 0 });
      expect(run.actions.sort()).toEqual(['sqs:GetQueueUrl', 'sqs:ListQueues', 'sqs:SendMessage']);
    },
  );

  it(
    '[reliability] gzip bomb: capped, bounded memory',
    reliability({
      area: 'input',
      fault: 'gzip bomb: 2 MB on disk, 2 GiB of zeros inflated',
      produced: '128 concatenated gzip members of 16 MiB of zeros each; the built binary, default settings',
      expected:
        'inflation stops at --max-file-bytes (default 256 MiB): "decompresses to more than --max-file-bytes", counted; peak RSS under 768 MiB (before: all 2 GiB inflated)',
    }),
    async () => {
      const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
      const folder = await caseFolder('bomb', { 'bomb.json.gz': Buffer.concat(Array(128).fill(member)) });
      const run = measured(['from-trail', '--role', 'app', '--events', '.'], folder);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        /^warning: bomb\.json\.gz: decompresses to more than --max-file-bytes \(268435456 bytes\); not read\n/,
      );
      expect(run.rss).toBeLessThan(768);
      const small = measured(['roles', '--events', '.', '--max-file-bytes', '16M', '--workers', '0'], folder);
      expect(small.stderr).toContain('decompresses to more than --max-file-bytes (16777216 bytes)');
      expect(small.rss).toBeLessThan(run.rss);
    },
  );

  it('[reliability] 200 MB single-line JSON: read with bounded memory, or skipped by size', {
    ...reliability({
      area: 'input',
      fault: '200 MB single-line CloudTrail JSON file',
      produced: 'one line {"Records":[…]} of about 330,000 events written at test time; the built binary',
      expected:
        'read: the policy of the role in it, peak RSS under 1 GiB; with --max-file-bytes 64M skipped from its size alone, unread',
    }),
    timeout: 120_000,
  }, async () => {
    const folder = join(dir, 'big');
    await mkdir(folder);
    const file = await open(join(folder, 'big.json'), 'w');
    const role = (i: number) => (i % 10 === 0 ? 'app' : `other-${i % 7}`);
    let size = await file.write('{"Records":[').then((w) => w.bytesWritten);
    const chunk: string[] = [];
    for (let i = 0; size < 200e6; i += 1) {
      const event = {
        ...trailEvent({
          role: role(i),
          source: 's3',
          name: 'GetObject',
          params: { bucketName: 'media', key: `in/${i % 50}.png` },
        }),
        eventID: `e-${i}`,
      };
      const text = `${i === 0 ? '' : ','}${JSON.stringify(event)}`;
      chunk.push(text);
      size += text.length;
      if (chunk.length === 5000) await file.write(chunk.splice(0).join(''));
    }
    await file.write(`${chunk.join('')}]}`);
    await file.close();
    const run = measured(['from-trail', '--role', 'app', '--events', '.'], folder);
    expect(run.code).toBe(0);
    const resources = (JSON.parse(run.stdout) as { Statement: { Resource: string[] }[] }).Statement.flatMap(
      (x) => x.Resource,
    );
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) expect(resource.startsWith('arn:aws:s3:::media/in/')).toBe(true);
    expect(run.rss).toBeLessThan(1024);
    const skipped = measured(['from-trail', '--role', 'app', '--events', '.', '--max-file-bytes', '64M'], folder);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toMatch(/^warning: big\.json: larger than --max-file-bytes \(\d+ > 67108864 bytes\)\n/);
    expect(skipped.rss).toBeLessThan(256);
  });

  it(
    '[reliability] JSON nested 100,000 deep',
    reliability({
      area: 'input',
      fault: 'JSON nested 100,000 levels deep',
      produced:
        'an event whose requestParameters hold 100,000 nested arrays, and a file that is nothing but such nesting',
      expected: 'no stack overflow: the event is mapped, the nesting-only file is "not CloudTrail data"',
    }),
    async () => {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const event = JSON.stringify(appEvent('SendMessage', { requestParameters: { queueUrl: 'x' } }));
      const folder = await caseFolder('deep', {
        'deep-event.json': `{"Records":[${event.replace('"queueUrl":"x"', `"deep":${deep}`)}]}`,
        'deep-only.json': deep,
      });
      const run = await fromTrail(folder);
      expect(run.code).toBe(0);
      expect(run.actions.sort()).toEqual(['sqs:ListQueues', 'sqs:SendMessage']);
      expect(run.report.problems.some((p) => p.startsWith('deep-only.json'))).toBe(true);
      const roles = await runCliCaptured(['roles', '--events', '.'], folder);
      expect(roles.code).toBe(0);
    },
  );

  it(
    '[reliability] invalid UTF-8 and a byte-order mark',
    reliability({
      area: 'input',
      fault: 'invalid UTF-8 bytes; a UTF-8 byte-order mark',
      produced: 'bytes 0xFF 0xFE inside a string value; EF BB BF before {"Records":…}',
      expected:
        'invalid UTF-8: skipped as "not valid UTF-8" (never decoded to U+FFFD silently); BOM: dropped, the file read',
    }),
    async () => {
      const text = logText(appEvent('SendMessage', { requestParameters: { queueUrl: 'q' } }));
      const at = text.indexOf('"q"') + 1;
      const folder = await caseFolder('utf8', {
        'bad.json': Buffer.concat([
          Buffer.from(text.slice(0, at)),
          Buffer.from([0xff, 0xfe]),
          Buffer.from(text.slice(at)),
        ]),
        'bom.json': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(logText(appEvent('GetQueueUrl')))]),
      });
      for (const args of [[], ['--all', '--out-dir', 'out']]) {
        const run = await fromTrail(folder, ...args);
        expect(run.stderr).toContain('warning: bad.json: not valid UTF-8\n');
        expect(run.report.counts.unreadableFiles).toBe(1);
      }
      expect((await fromTrail(folder)).actions.sort()).toEqual(['sqs:GetQueueUrl', 'sqs:ListQueues']);
    },
  );

  it(
    '[reliability] __proto__, constructor and prototype anywhere',
    reliability({
      area: 'input',
      fault: '__proto__, constructor and prototype as keys and as event names and services',
      produced:
        'records with those keys in userIdentity and requestParameters, eventName "constructor", eventSource "constructor.amazonaws.com"',
      expected:
        'read as plain data: no prototype pollution, no lookup through Object.prototype; unknown names reported as unmapped',
    }),
    async () => {
      const hostile =
        '{"__proto__":{"polluted":"yes","arn":"arn:aws:iam::123456789012:role/admin"},"constructor":{"prototype":{"polluted":"yes"}}}';
      const records = [
        JSON.stringify(
          appEvent('SendMessage', {
            requestParameters: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q' },
          }),
        ).replace(
          '"requestParameters":{',
          `"requestParameters":{"__proto__":{"queueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/evil"}, "x":${hostile},`,
        ),
        JSON.stringify(appEvent('constructor')),
        JSON.stringify({ ...appEvent('ListQueues'), eventSource: 'constructor.amazonaws.com' }),
        JSON.stringify({ ...appEvent('toString'), eventSource: 'prototype.amazonaws.com' }),
        JSON.stringify(appEvent('ListQueues')).replace('"userIdentity":{', `"userIdentity":{"__proto__":${hostile},`),
      ];
      const run = await fromTrail(await caseFolder('proto', { 'proto.json': `{"Records":[${records.join(',')}]}` }));
      expect(run.code).toBe(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const policy = JSON.parse(run.stdout) as { Statement: { Action: string[]; Resource: string[] }[] };
      expect(policy.Statement.flatMap((s) => s.Resource)).not.toContain('arn:aws:sqs:us-east-1:123456789012:evil');
      expect(run.actions.sort()).toEqual(['sqs:ListQueues', 'sqs:SendMessage']);
      expect(run.stderr).toContain('events not mapped to an IAM action');
      expect(JSON.stringify(run.report)).not.toContain('[native code]');
    },
  );

  it(
    '[reliability] Records not an array, numbers where strings belong',
    reliability({
      area: 'input',
      fault: '"Records" that is not an array; numbers where strings belong',
      produced:
        '{"Records":{…}}; events with eventSource 5, eventName 6, eventTime 7, userIdentity.arn 8, a numeric queueUrl',
      expected:
        '"Records" is not an array (file counted unreadable); bad records counted as malformed with the field named; the run goes on',
    }),
    async () => {
      const folder = await caseFolder('shapes', {
        'object.json': JSON.stringify({ Records: { first: appEvent('SendMessage') } }),
        'numbers.json': logText(
          { ...appEvent('SendMessage'), eventSource: 5 },
          { ...appEvent('SendMessage'), eventName: 6 },
          appEvent('GetQueueUrl', { eventTime: 7, awsRegion: 8, requestParameters: { queueUrl: 9 } }),
          appEvent('PurgeQueue', { userIdentity: { arn: 8, type: 9 } }),
        ),
      });
      const run = await fromTrail(folder);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('warning: object.json: "Records" is not an array\n');
      expect(run.stderr).toContain('warning: numbers.json record 1: missing eventSource\n');
      expect(run.stderr).toContain(
        'warning: numbers.json record 2: missing eventName (eventSource sqs.amazonaws.com)\n',
      );
      expect(run.report.counts).toMatchObject({ unreadableFiles: 1, malformedRecords: 2 });
      expect(run.actions.sort()).toEqual(['sqs:GetQueueUrl', 'sqs:ListQueues']);
    },
  );

  it(
    '[reliability] symbolic link loops and broken links in log folders',
    reliability({
      area: 'input',
      fault: 'symbolic link loop, link to a folder already read, broken link, link to a log file',
      produced: 'links created in the log folder at test time',
      expected:
        'loop and broken link reported by name and counted; a linked log file is read once, its second path reported; the walk ends',
    }),
    async () => {
      const folder = await caseFolder('links', {});
      await mkdir(join(folder, 'sub'));
      await writeFile(join(folder, 'sub', 'linked-target.json'), logText(appEvent('SendMessage')));
      await symlink('..', join(folder, 'sub', 'up'));
      await symlink('self', join(folder, 'self'));
      await symlink('missing.json', join(folder, 'broken.json'));
      await symlink('sub/linked-target.json', join(folder, 'alias.json'));
      const run = await fromTrail(folder);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('warning: broken.json: broken symbolic link (its target does not exist)\n');
      expect(run.stderr).toContain('warning: self: symbolic link loop\n');
      expect(run.stderr).toContain(
        'warning: sub/up: symbolic link loop or second link to a folder already read; not read again\n',
      );
      // The link is read; the file it names, met again in sub/, is not counted twice.
      expect(run.stderr).toContain(
        'warning: sub/linked-target.json: second path to a file already read; not read again\n',
      );
      expect(run.report.counts.unreadableFiles).toBe(4);
      expect(run.actions.sort()).toEqual(['sqs:ListQueues', 'sqs:SendMessage']);
    },
  );

  it(
    '[reliability] unreadable file and a folder named like a log file',
    reliability({
      area: 'input',
      fault: 'a log file without read permission; a folder named like a log file',
      produced:
        'mode 000 file (when the tests run as root, the binary runs without the capabilities that let root read any file); a folder "x.json.gz/" holding a log',
      expected:
        'unreadable file: "permission denied", counted, the run goes on; the folder is walked as the folder it is',
    }),
    async ({ skip }) => {
      if (asRoot && !canDropFileOverride) skip('running as root without setpriv: root reads every file');
      const folder = await caseFolder('permissions', { 'secret.json': logText(appEvent('SendMessage')) });
      await mkdir(join(folder, 'x.json.gz'));
      await writeFile(join(folder, 'x.json.gz', 'inner.json'), logText(appEvent('GetQueueUrl')));
      await chmod(join(folder, 'secret.json'), 0o000);
      for (const path of [folder, join(folder, 'x.json.gz')]) await chmod(path, 0o755);
      for (const file of ['good.json', 'x.json.gz/inner.json']) await chmod(join(folder, file), 0o644);
      const run = measured(['from-trail', '--role', 'app', '--events', '.'], folder, { unprivileged: true });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^warning: secret\.json: permission denied\n/);
      expect(
        (JSON.parse(run.stdout) as { Statement: { Action: string[] }[] }).Statement.flatMap((s) => s.Action).sort(),
      ).toEqual(['sqs:GetQueueUrl', 'sqs:ListQueues']);
    },
  );
});
