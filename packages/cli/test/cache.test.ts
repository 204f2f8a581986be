import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { trailEvent } from './trail-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-cache-'));
});
afterEach(async () => {
  await chmod(join(dir, 'cache'), 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const day = (d: number) => join(dir, 'AWSLogs', '123456789012', 'CloudTrail', 'us-east-1', '2024', '05', `0${d}`);

async function writeDay(d: number, tables: readonly string[]): Promise<void> {
  await mkdir(day(d), { recursive: true });
  const records = tables.map((tableName, i) =>
    trailEvent({
      role: 'app',
      source: 'dynamodb',
      name: 'GetItem',
      time: `2024-05-0${d}T0${i}:00:00Z`,
      params: { tableName },
    }),
  );
  await writeFile(join(day(d), `f${d}.json`), JSON.stringify({ Records: records }));
}

interface Run {
  code: number;
  policy: string;
  stderr: string;
  cache?: { hits: number; misses: number; rejected: number; unwritable: number; windowEdgeRereads: number };
}

async function run(...extra: string[]): Promise<Run> {
  const result = await runCliCaptured(
    ['from-trail', '--role', 'app', '--events', 'AWSLogs', '--report', 'report.json', ...extra],
    dir,
  );
  const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { cache?: Run['cache'] };
  return {
    code: result.code,
    policy: result.stdout,
    stderr: result.stderr,
    ...(report.cache === undefined ? {} : { cache: report.cache }),
  };
}

async function entries(): Promise<string[]> {
  const shards = await readdir(join(dir, 'cache'));
  const files = await Promise.all(
    shards.map(async (s) => (await readdir(join(dir, 'cache', s))).map((f) => join(s, f))),
  );
  return files.flat();
}

describe('--cache', () => {
  it('reads only new files on a re-run, and gives the policy a run without cache gives', async () => {
    await writeDay(1, ['orders']);
    await writeDay(2, ['orders', 'inventory']);
    const first = await run('--cache', 'cache');
    expect(first.cache).toMatchObject({ hits: 0, misses: 2 });
    await writeDay(3, ['customers']);
    const second = await run('--cache', 'cache');
    expect(second.cache).toMatchObject({ hits: 2, misses: 1, rejected: 0 });
    const uncached = await run();
    expect(second.policy).toBe(uncached.policy);
    expect(second.policy).toContain('table/customers');
  });

  it('keeps serving a sliding window, reading again only the files at its edge', async () => {
    await writeDay(1, ['orders']);
    await writeDay(2, ['orders', 'inventory', 'customers']);
    await writeDay(3, ['payments']);
    await run('--cache', 'cache');
    // Day 1 lies before the window (its folder is skipped), day 2 straddles its start, day 3 lies inside.
    const windowed = await run('--cache', 'cache', '--since', '2024-05-02T01:00:00Z');
    expect(windowed.cache).toMatchObject({ hits: 2, windowEdgeRereads: 1 });
    expect(windowed.policy).toBe((await run('--since', '2024-05-02T01:00:00Z')).policy);
    expect(windowed.policy).not.toContain('table/orders"');
  });

  it.each([
    ['corrupt', 'not json at all'],
    ['foreign', JSON.stringify({ key: 'another version', state: {} })],
  ])('ignores and rebuilds a %s entry', async (_, content) => {
    await writeDay(1, ['orders']);
    const first = await run('--cache', 'cache');
    const [entry] = await entries();
    await writeFile(join(dir, 'cache', entry ?? ''), content);
    const second = await run('--cache', 'cache');
    expect(second.cache).toMatchObject({ hits: 0, rejected: 1 });
    expect(second.stderr).toContain(
      'warning: cache cache: 1 entries could not be trusted (corrupt or foreign) and were rebuilt',
    );
    expect(second.policy).toBe(first.policy);
    expect((await run('--cache', 'cache')).cache).toMatchObject({ hits: 1, rejected: 0 });
  });

  it('never trusts an entry of a file that changed', async () => {
    await writeDay(1, ['orders']);
    await run('--cache', 'cache');
    await writeDay(1, ['orders', 'payments']);
    const second = await run('--cache', 'cache');
    expect(second.cache).toMatchObject({ hits: 0, misses: 1 });
    expect(second.policy).toContain('table/payments');
  });

  it('goes on without a cache it cannot write', async () => {
    await writeDay(1, ['orders']);
    await mkdir(join(dir, 'cache'));
    await chmod(join(dir, 'cache'), 0o500);
    const result = await run('--cache', 'cache');
    expect(result.code).toBe(0);
    expect(result.policy).toContain('table/orders');
    if (process.getuid?.() !== 0) expect(result.cache?.unwritable).toBe(1);
  });
});
