import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policiesOfAllRun, singlePrincipalRun } from '../src/eval/every-principal.js';
import { leftoverFiles, policyFileNames } from '../src/out-dir.js';
import { runCliCaptured } from '../src/run-captured.js';
import { trailEvent } from './trail-fixtures.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

interface IndexEntry {
  principal: string;
  arns: string[];
  status: 'ok' | 'failed';
  file?: string;
  error?: string;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-many-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readIndex(outDir: string): Promise<{ principals: IndexEntry[]; excludedFromAll: unknown[] }> {
  return JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8'));
}

/** The same event in another account: roles of one name in two accounts are two principals. */
function inAccount(event: Record<string, unknown>, account: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(event).replaceAll('123456789012', account)) as Record<string, unknown>;
}

describe('policyFileNames', () => {
  it('names files the same whichever ARN of a principal was met first', () => {
    const principals = (arns: string[]) => [
      { key: 'role:app', name: 'app', arns },
      { key: 'arn:aws:iam::222222222222:role/app', name: 'app', arns: ['arn:aws:iam::222222222222:role/app'] },
    ];
    const a = policyFileNames(
      principals(['arn:aws:iam::111111111111:role/app', 'arn:aws:iam::333333333333:role/app']),
      'json',
    );
    const b = policyFileNames(
      principals(['arn:aws:iam::333333333333:role/app', 'arn:aws:iam::111111111111:role/app']),
      'json',
    );
    expect([...a]).toEqual([...b]);
    expect(a.get('role:app')).toBe('app-111111111111.json');
  });

  it('never names a file report.json, and keeps names inside the folder', () => {
    const names = policyFileNames(
      [
        { key: 'a', name: 'report', arns: [] },
        { key: 'b', name: '../../etc', arns: [] },
      ],
      'json',
    );
    expect([...names.values()].sort()).toEqual(['___.._etc.json', 'report-2.json']);
  });
});

describe('from-trail with several principals', () => {
  it.each(['orders-api', 'image-processor', 'ci-deploy'])(
    '--all on the %s sample writes, per principal, the bytes a single run prints',
    async (sample) => {
      const events = join(root, 'samples', sample, 'logs');
      const outDir = join(dir, 'out');
      const all = await runCliCaptured(['from-trail', '--all', '--events', events, '--out-dir', outDir], root);
      expect(all.code).toBe(0);
      const index = await readIndex(outDir);
      expect(index.principals.length).toBeGreaterThan(0);
      for (const entry of index.principals) {
        const [arn] = entry.arns;
        expect(entry.status).toBe('ok');
        const flag = arn?.includes(':role/') ? '--role' : '--user';
        const single = await runCliCaptured(['from-trail', flag, arn ?? '', '--events', events], root);
        expect(single.code).toBe(0);
        expect(await readFile(join(outDir, entry.file ?? ''), 'utf8')).toBe(single.stdout);
      }
    },
  );

  it('names files after principals, tells accounts apart, and leaves service-linked roles out of --all', async () => {
    const records = [
      trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }),
      inAccount(trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }), '210987654321'),
      trailEvent({ role: 'worker', source: 'sqs', name: 'ListQueues' }),
      trailEvent({ user: 'alice', source: 's3', name: 'ListBuckets' }),
      trailEvent({
        role: 'aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS',
        source: 'ec2',
        name: 'DescribeVpcs',
      }),
    ];
    await writeFile(join(dir, 'a.json'), JSON.stringify({ Records: records }));
    const outDir = join(dir, 'out');
    const result = await runCliCaptured(['from-trail', '--all', '--events', 'a.json', '--out-dir', 'out'], dir);
    expect(result.code).toBe(0);
    expect((await readdir(outDir)).sort()).toEqual([
      'alice.json',
      'app-123456789012.json',
      'app-210987654321.json',
      'report.json',
      'worker.json',
    ]);
    expect((await readIndex(outDir)).excludedFromAll).toEqual([
      {
        arn: 'arn:aws:iam::123456789012:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS',
        reason: 'service-linked role',
      },
    ]);
    expect(result.stderr).toContain('4 of 4 policies written to out');
  });

  it('selects by glob and by repeated flags, and a failing principal does not hide the others', async () => {
    const records = [
      trailEvent({ role: 'orders-api', source: 'sqs', name: 'ListQueues' }),
      trailEvent({ role: 'orders-worker', source: 'sqs', name: 'ListQueues' }),
      trailEvent({ role: 'billing', source: 'sqs', name: 'ListQueues' }),
    ];
    await writeFile(join(dir, 'a.json'), JSON.stringify({ Records: records }));
    const argv = ['from-trail', '--role', 'orders-*', '--role', 'ghost', '--events', 'a.json', '--out-dir', 'out'];
    const result = await runCliCaptured(argv, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^iamgen: role ghost not seen in the logs/m);
    const index = await readIndex(join(dir, 'out'));
    expect(index.principals.map((p) => [p.principal, p.status, p.file])).toEqual([
      ['role arn:aws:iam::123456789012:role/orders-api', 'ok', 'orders-api.json'],
      ['role arn:aws:iam::123456789012:role/orders-worker', 'ok', 'orders-worker.json'],
      ['role ghost', 'failed', undefined],
    ]);
  });

  it('names a glob that matched no principal as a failure, and still writes the others', async () => {
    await writeFile(
      join(dir, 'a.json'),
      JSON.stringify({ Records: [trailEvent({ role: 'orders-api', source: 'sqs', name: 'ListQueues' })] }),
    );
    const argv = ['from-trail', '--role', 'orders-*', '--role', 'ordres-*', '--events', 'a.json', '--out-dir', 'out'];
    const result = await runCliCaptured(argv, dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^iamgen: role ordres-\* not seen in the logs/m);
    expect(result.stderr).toContain('1 of 2 policies written to out; 1 failed');
    const index = await readIndex(join(dir, 'out'));
    expect(index.principals.map((p) => [p.principal, p.status, p.file])).toEqual([
      ['role arn:aws:iam::123456789012:role/orders-api', 'ok', 'orders-api.json'],
      ['role ordres-*', 'failed', undefined],
    ]);
  });

  it('gives the same bytes on worker threads as in one thread', async () => {
    // Enough data for the workers to start (several megabytes), in the delivered layout, over many principals.
    const logs = join(dir, 'AWSLogs', '123456789012', 'CloudTrail', 'us-east-1', '2024', '05', '01');
    await mkdir(logs, { recursive: true });
    for (let file = 0; file < 6; file++) {
      const records = Array.from({ length: 2500 }, (_, i) =>
        trailEvent({
          role: `app-${(file * 7 + i) % 9}`,
          source: 'dynamodb',
          name: i % 3 === 0 ? 'PutItem' : 'GetItem',
          time: new Date(Date.UTC(2024, 4, 1, file, 0, i % 3600)).toISOString(),
          params: { tableName: `orders-${i % 11}` },
        }),
      );
      await writeFile(join(logs, `f${file}.json.gz`), gzipSync(JSON.stringify({ Records: records })));
    }
    const run = (workers: string, out: string) =>
      spawnSync(
        process.execPath,
        [bin, 'from-trail', '--all', '--events', 'AWSLogs', '--out-dir', out, '--workers', workers],
        { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
    expect(run('2', 'threads').status).toBe(0);
    expect(run('0', 'main').status).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'threads', 'report.json'), 'utf8')).counts.workerThreads).toBe(2);
    expect(JSON.parse(await readFile(join(dir, 'main', 'report.json'), 'utf8')).counts.workerThreads).toBe(0);
    const files = (await readdir(join(dir, 'threads'))).sort();
    expect(files).toHaveLength(10);
    expect((await readdir(join(dir, 'main'))).sort()).toEqual(files);
    for (const file of files.filter((f) => f !== 'report.json')) {
      expect(await readFile(join(dir, 'threads', file), 'utf8')).toBe(await readFile(join(dir, 'main', file), 'utf8'));
    }
    const single = spawnSync(process.execPath, [bin, 'from-trail', '--role', 'app-3', '--events', 'AWSLogs'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(single.stdout).toBe(await readFile(join(dir, 'threads', 'app-3.json'), 'utf8'));
  }, 60_000);
});

describe('leftoverFiles', () => {
  const earlier = {
    principals: [{ file: 'app.json' }, { file: 'worker.json' }, { status: 'failed' }],
    common: { file: 'shared.json' },
  };
  it.each([
    ['no earlier index', undefined, [], []],
    ['an index of something else', { principals: 'app.json' }, [], []],
    ['files this run does not write', earlier, [], ['shared.json', 'worker.json']],
    ['the file of a principal that failed this time', earlier, ['worker.json'], ['shared.json']],
    ['a name that differs only in case from one written', { principals: [{ file: 'App.json' }] }, [], []],
    [
      'names that are not plain files of the folder, and the index itself',
      {
        principals: [
          { file: '../x.json' },
          { file: '.hidden' },
          { file: 'a/b.json' },
          { file: 'report.json' },
          { file: 7 },
        ],
      },
      [],
      [],
    ],
  ])('%s', (_, index, kept, expected) => {
    expect(leftoverFiles(index, new Set(['app.json']), new Set(kept))).toEqual(expected);
  });
});

describe('--out-dir over an earlier run', () => {
  it('removes the policies the earlier run wrote and this one does not, and nothing else', async () => {
    const first = ['app', 'worker', 'ghost'].map((role) => trailEvent({ role, source: 'sqs', name: 'ListQueues' }));
    await writeFile(join(dir, 'first.json'), JSON.stringify({ Records: first }));
    await writeFile(join(dir, 'later.json'), JSON.stringify({ Records: first.slice(0, 1) }));
    const outDir = join(dir, 'out');
    expect(
      (await runCliCaptured(['from-trail', '--all', '--events', 'first.json', '--out-dir', 'out'], dir)).code,
    ).toBe(0);
    await writeFile(join(outDir, 'notes.txt'), 'mine\n');
    const argv = ['from-trail', '--role', 'app', '--role', 'ghost', '--events', 'later.json', '--out-dir', 'out'];
    const later = await runCliCaptured(argv, dir);
    expect(later.code).toBe(1);
    // worker.json is gone; ghost failed this time, so its earlier policy stays, and the index says it failed.
    expect((await readdir(outDir)).sort()).toEqual(['app.json', 'ghost.json', 'notes.txt', 'report.json']);
    expect(later.stderr).toContain(
      'removed 1 file an earlier run wrote for principals this run did not produce: worker.json',
    );
    const index = (await readIndex(outDir)) as { removedFiles?: string[]; principals: IndexEntry[] };
    expect(index.removedFiles).toEqual(['worker.json']);
    expect(index.principals.map((p) => p.status)).toEqual(['ok', 'failed']);
  });
});

describe('--out-dir when one file cannot be written', () => {
  it('leaves every file and the index as the earlier run left them', async () => {
    const events = (source: string) =>
      JSON.stringify({ Records: ['app', 'worker'].map((role) => trailEvent({ role, source, name: 'ListQueues' })) });
    await writeFile(join(dir, 'first.json'), events('sqs'));
    await writeFile(join(dir, 'later.json'), events('sns'));
    const outDir = join(dir, 'out');
    expect(
      (await runCliCaptured(['from-trail', '--all', '--events', 'first.json', '--out-dir', 'out'], dir)).code,
    ).toBe(0);
    const before = await Promise.all(['app.json', 'report.json'].map((f) => readFile(join(outDir, f), 'utf8')));
    // Written in order, app.json would be replaced before worker.json fails.
    await rm(join(outDir, 'worker.json'));
    await mkdir(join(outDir, 'worker.json'));
    const later = await runCliCaptured(['from-trail', '--all', '--events', 'later.json', '--out-dir', 'out'], dir);
    expect(later.code).toBe(1);
    expect(later.stderr).toMatch(/^iamgen: cannot write out\/worker\.json: it is a folder$/m);
    expect(await Promise.all(['app.json', 'report.json'].map((f) => readFile(join(outDir, f), 'utf8')))).toEqual(
      before,
    );
    expect((await readdir(outDir)).sort()).toEqual(['app.json', 'report.json', 'worker.json']);
  });
});

const sharedDatasets = join(root, '..', 'shared', 'datasets');
const datasets = existsSync(sharedDatasets)
  ? readdirSync(sharedDatasets, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(sharedDatasets, entry.name))
      .sort()
  : [];

describe.skipIf(datasets.length === 0)('--all on the public datasets', () => {
  it('writes for every principal the very bytes a run for that principal alone prints', async () => {
    let compared = 0;
    for (const dataset of datasets) {
      const policies = await policiesOfAllRun(dataset, join(dir, basename(dataset)));
      for (const [i, policy] of policies.entries()) {
        const single = await singlePrincipalRun(policy.kind, policy.name, dataset, join(dir, `${i}.json`));
        const what = `${basename(dataset)}: --${policy.kind} ${policy.name}`;
        expect(single.exitCode, what).toBe(0);
        expect(single.matchedArns, what).toEqual(policy.arns);
        expect(single.stdout, what).toBe(policy.text);
        compared += 1;
      }
    }
    // Most of the datasets' principals, not a handful: every dataset holds some.
    expect(compared).toBeGreaterThan(50);
  }, 120_000);
});
