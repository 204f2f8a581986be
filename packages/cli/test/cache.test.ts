import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monthFolderOf } from '../src/feed-analysis.js';
import { runCliCaptured } from '../src/run-captured.js';
import { reliability } from './reliability.js';
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
  cache?: {
    hits: number;
    misses: number;
    rejected: number;
    unreadable: number;
    unwritable: number;
    windowEdgeRereads: number;
  };
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

/** An entry's body: its key, the files of a folder entry, and the analysis. */
interface Body {
  key: string;
  files?: unknown;
  state: unknown;
}

/** An entry as the cache writes it: the SHA-256 of the text of its body, and the body. */
interface Sealed {
  sha256: string;
  entry: Body;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function sealed(entry: string): Promise<Sealed> {
  return JSON.parse(await readFile(join(dir, 'cache', entry), 'utf8')) as Sealed;
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
    // Day 3 came from the cache; day 2 was found there but read again: it is not a hit.
    expect(windowed.cache).toMatchObject({ hits: 1, windowEdgeRereads: 1 });
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
    // The file was read: a miss, as well as a rejected entry.
    expect(second.cache).toMatchObject({ hits: 0, misses: 1, rejected: 1 });
    expect(second.stderr).toContain(
      'warning: cache cache: 1 entries could not be trusted (corrupt or foreign) and were rebuilt',
    );
    expect(second.policy).toBe(first.policy);
    expect((await run('--cache', 'cache')).cache).toMatchObject({ hits: 1, rejected: 0 });
  });

  it('counts a file read for the first time at the edge of the window as a miss, and only then as a reread', async () => {
    await writeDay(1, ['orders', 'inventory']);
    const since = ['--since', '2024-05-01T00:30:00Z'];
    const first = await run('--cache', 'cache', ...since);
    expect(first.cache).toMatchObject({ hits: 0, misses: 1, windowEdgeRereads: 0 });
    expect(first.policy).toBe((await run(...since)).policy);
    const second = await run('--cache', 'cache', ...since);
    expect(second.cache).toMatchObject({ hits: 0, misses: 0, windowEdgeRereads: 1 });
    expect(second.policy).toBe(first.policy);
  });

  it('serves no result made under another --max-file-bytes: a file over the cap is skipped as without cache', async () => {
    await writeDay(1, ['orders']);
    await writeDay(2, ['inventory']);
    await run('--cache', 'cache');
    const argv = ['from-trail', '--role', 'app', '--events', 'AWSLogs', '--max-file-bytes', '100'];
    const capped = await runCliCaptured([...argv, '--cache', 'cache'], dir);
    const uncached = await runCliCaptured(argv, dir);
    expect(uncached.stderr).toContain('larger than --max-file-bytes');
    expect(capped).toEqual(uncached);
  });

  it('never trusts an entry of a file that changed', async () => {
    await writeDay(1, ['orders']);
    await run('--cache', 'cache');
    await writeDay(1, ['orders', 'payments']);
    const second = await run('--cache', 'cache');
    expect(second.cache).toMatchObject({ hits: 0, misses: 1 });
    expect(second.policy).toContain('table/payments');
  });

  it('reads the files of entries it cannot read, and says so', async () => {
    await writeDay(1, ['orders']);
    const first = await run('--cache', 'cache');
    const [entry] = await entries();
    // A folder where the entry was: reading it fails as an unreadable file would, even for root.
    await rm(join(dir, 'cache', entry ?? ''));
    await mkdir(join(dir, 'cache', entry ?? ''));
    const second = await run('--cache', 'cache');
    expect(second.code).toBe(0);
    expect(second.cache).toMatchObject({ hits: 0, misses: 1, unreadable: 1 });
    expect(second.stderr).toContain(
      'warning: cache cache: 1 entries could not be read and their files were read instead',
    );
    expect(second.policy).toBe(first.policy);
  });

  it('refuses a --cache that is not a folder before reading', async () => {
    await writeDay(1, ['orders']);
    await writeFile(join(dir, 'cache-file'), 'mine\n');
    const result = await runCliCaptured(
      ['from-trail', '--role', 'app', '--events', 'AWSLogs', '--cache', 'cache-file'],
      dir,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('iamgen: --cache cache-file is not a folder\n');
    expect(await readFile(join(dir, 'cache-file'), 'utf8')).toBe('mine\n');
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

describe('monthFolderOf', () => {
  it.each([
    [
      '/logs/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/f.json.gz',
      '/logs/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05',
    ],
    [
      's3://trail/AWSLogs/o-abc/123456789012/CloudTrail/eu-west-1/2023/12/31/k.json.gz',
      's3://trail/AWSLogs/o-abc/123456789012/CloudTrail/eu-west-1/2023/12',
    ],
    ['/logs/flat/f.json', undefined],
    ['/logs/2024/05/f.json', undefined],
    ['/logs/2024/05/01/deeper/f.json', undefined],
  ])('%s → %s', (location, month) => {
    expect(monthFolderOf(location)).toBe(month);
  });
});

describe('--cache folder entries', () => {
  /** Writes `files` (a.json, a2.json, b.json, c.json → tables) into day `d`: one GetItem per table, each at its own hour. */
  async function writeFiles(d: number, files: Record<string, readonly string[]>): Promise<void> {
    await mkdir(day(d), { recursive: true });
    for (const [name, tables] of Object.entries(files)) {
      const f = ['a.json', 'a2.json', 'b.json', 'c.json'].indexOf(name);
      const records = tables.map((tableName, i) =>
        trailEvent({
          role: 'app',
          source: 'dynamodb',
          name: 'GetItem',
          time: `2024-05-0${d}T${String(f * 4 + i).padStart(2, '0')}:00:00Z`,
          params: { tableName },
        }),
      );
      const text = JSON.stringify({ Records: records });
      // An unchanged file keeps its modification time, as a log file does once delivered.
      if ((await readFile(join(day(d), name), 'utf8').catch(() => undefined)) !== text) {
        await writeFile(join(day(d), name), text);
      }
    }
  }

  interface Both {
    cached: Run;
    /** The report without its cache figures, and the policy, of the cached run and of a run without cache. */
    same: () => Promise<void>;
  }

  /** A cached run, and a check that a run without cache prints the same policy and the same report. */
  async function cachedRun(...extra: string[]): Promise<Both> {
    const cached = await run('--cache', 'cache', ...extra);
    const cachedReport = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
    return {
      cached,
      same: async () => {
        const uncached = await run(...extra);
        const uncachedReport = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Record<string, unknown>;
        expect(cached.code).toBe(0);
        expect(cached.policy).toBe(uncached.policy);
        const { cache: _, ...rest } = cachedReport;
        expect(JSON.stringify(rest)).toBe(JSON.stringify(uncachedReport));
      },
    };
  }

  async function folderEntries(): Promise<string[]> {
    const all = await entries();
    const folders: string[] = [];
    for (const entry of all) {
      if ((await sealed(entry)).entry.files !== undefined) folders.push(entry);
    }
    return folders;
  }

  /** How many files each folder entry serves, by entry. */
  async function folderCounts(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const entry of await folderEntries()) {
      counts.set(entry, ((await sealed(entry)).entry.files as { count: number }).count);
    }
    return counts;
  }

  it('serves an unchanged month from one entry, and its days from theirs, even without the entries of files', async () => {
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory'] });
    await writeFiles(2, { 'a.json': ['customers'], 'b.json': ['payments'], 'c.json': ['orders'] });
    const first = await cachedRun();
    expect(first.cached.cache).toMatchObject({ hits: 0, folderHits: 0, misses: 5 });
    await first.same();
    // The month's entry, and each day's.
    const counts = await folderCounts();
    expect([...counts.values()].sort()).toEqual([2, 3, 5]);
    for (const entry of await entries()) {
      if (!counts.has(entry)) await rm(join(dir, 'cache', entry));
    }
    const second = await cachedRun();
    expect(second.cached.cache).toMatchObject({ hits: 5, folderHits: 1, misses: 0, rejected: 0 });
    await second.same();
    // Without the month's entry, the days' serve their files, and the month's is written again.
    for (const [entry, count] of counts) if (count === 5) await rm(join(dir, 'cache', entry));
    const third = await cachedRun();
    expect(third.cached.cache).toMatchObject({ hits: 5, folderHits: 2, misses: 0, rejected: 0 });
    await third.same();
    expect([...(await folderCounts()).values()].sort()).toEqual([2, 3, 5]);
  });

  it('takes files lying loose in a month folder as the month, with no entry of their own folder', async () => {
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory'] });
    await writeFiles(2, { 'a.json': ['customers'], 'b.json': ['payments'] });
    for (const [name, tableName] of [
      ['a.json', 'ledger'],
      ['b.json', 'refunds'],
    ] as const) {
      const event = trailEvent({
        role: 'app',
        source: 'dynamodb',
        name: 'GetItem',
        time: '2024-05-03T00:00:00Z',
        params: { tableName },
      });
      await writeFile(join(day(1), '..', name), JSON.stringify({ Records: [event] }));
    }
    const first = await cachedRun();
    await first.same();
    // The month's entry and each day's; none for the loose files, whose folder is the month's.
    const counts = await folderCounts();
    expect([...counts.values()].sort()).toEqual([2, 2, 6]);
    for (const [entry, count] of counts) if (count === 6) await rm(join(dir, 'cache', entry));
    const second = await cachedRun();
    expect(second.cached.cache).toMatchObject({ hits: 6, folderHits: 2, misses: 0, rejected: 0 });
    await second.same();
  });

  it('reads only the new files of a grown folder and of a new folder, then serves both from their entries', async () => {
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory'] });
    await writeFiles(2, { 'a.json': ['customers'], 'b.json': ['payments'] });
    await cachedRun();
    await writeFiles(2, { 'a.json': ['customers'], 'b.json': ['payments'], 'c.json': ['refunds'] });
    await writeFiles(3, { 'a.json': ['ledger'], 'b.json': ['orders'] });
    const grown = await cachedRun();
    // Day 1 and day 2's first two files from the month's old entry; day 2's new file and day 3 read.
    expect(grown.cached.cache).toMatchObject({ hits: 4, folderHits: 1, misses: 3 });
    expect(grown.cached.policy).toContain('table/refunds');
    expect(grown.cached.policy).toContain('table/ledger');
    await grown.same();
    const again = await cachedRun();
    expect(again.cached.cache).toMatchObject({ hits: 7, folderHits: 1, misses: 0 });
    await again.same();
  });

  it('falls back to the entries of the files when one changed, was removed or was inserted before others', async () => {
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory'], 'c.json': ['customers'] });
    await cachedRun();
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory', 'payments'], 'c.json': ['customers'] });
    const changed = await cachedRun();
    expect(changed.cached.cache).toMatchObject({ hits: 2, folderHits: 0, misses: 1 });
    expect(changed.cached.policy).toContain('table/payments');
    await changed.same();
    await rm(join(day(1), 'c.json'));
    const removed = await cachedRun();
    expect(removed.cached.cache).toMatchObject({ hits: 2, folderHits: 0, misses: 0 });
    expect(removed.cached.policy).not.toContain('table/customers');
    await removed.same();
    await writeFiles(1, { 'a.json': ['orders'], 'a2.json': ['ledger'], 'b.json': ['inventory', 'payments'] });
    const inserted = await cachedRun();
    expect(inserted.cached.cache).toMatchObject({ hits: 2, folderHits: 0, misses: 1 });
    await inserted.same();
    expect((await cachedRun()).cached.cache).toMatchObject({ hits: 3, folderHits: 1, misses: 0 });
  });

  it('uses a folder entry inside the window and the entries of its files at the window edge', async () => {
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory'] });
    await writeFiles(2, { 'a.json': ['customers', 'payments'], 'b.json': ['ledger'] });
    await writeFiles(3, { 'a.json': ['refunds'], 'b.json': ['orders'] });
    await cachedRun();
    // Day 1 lies before the window (skipped), day 2's a.json straddles its start, day 3 lies inside.
    const edge = await cachedRun('--since', '2024-05-02T01:00:00Z');
    expect(edge.cached.cache).toMatchObject({ hits: 3, folderHits: 1, windowEdgeRereads: 1 });
    expect(edge.cached.policy).not.toContain('table/customers');
    expect(edge.cached.policy).toContain('table/payments');
    await edge.same();
    // Days 2 and 3 make the month now (day 1 lies before the window): the entry the last run wrote for them.
    const inside = await cachedRun('--since', '2024-05-02T00:00:00Z', '--until', '2024-05-04T00:00:00Z');
    expect(inside.cached.cache).toMatchObject({ hits: 4, folderHits: 1, windowEdgeRereads: 0 });
    await inside.same();
  });

  it.each([
    ['corrupt', 'not json at all'],
    ['foreign', JSON.stringify({ key: 'another version', files: [], state: {} })],
  ])('ignores and rebuilds a %s folder entry', async (_, content) => {
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory'] });
    await cachedRun();
    const [entry] = await folderEntries();
    await writeFile(join(dir, 'cache', entry ?? ''), content);
    const second = await cachedRun();
    expect(second.cached.cache).toMatchObject({ hits: 2, folderHits: 0, rejected: 1 });
    expect(second.cached.stderr).toContain('1 entries could not be trusted (corrupt or foreign) and were rebuilt');
    await second.same();
    expect((await cachedRun()).cached.cache).toMatchObject({ hits: 2, folderHits: 1, rejected: 0 });
  });

  /**
   * Day 1's folder entry and the entry of its file a.json (the one that holds table/orders), each changed by `change`
   * (`undefined`: left alone); then a run, which must not trust the changed ones, must read those files again, give
   * the policy and report of a run without cache, and write each changed entry again with what it held.
   */
  async function tamperedRun(change: (text: string, kind: 'file' | 'folder') => string | undefined): Promise<Run> {
    await writeFiles(1, { 'a.json': ['orders'], 'b.json': ['inventory'] });
    await cachedRun();
    const [folder] = await folderEntries();
    const targets: [string, 'file' | 'folder'][] = [[folder ?? '', 'folder']];
    for (const entry of await entries()) {
      const text = await readFile(join(dir, 'cache', entry), 'utf8');
      if (entry !== folder && text.includes('table/orders')) targets.push([entry, 'file']);
    }
    expect(targets).toHaveLength(2);
    const originals = new Map<string, string>();
    for (const [entry, kind] of targets) {
      const path = join(dir, 'cache', entry);
      const text = await readFile(path, 'utf8');
      const changed = change(text, kind);
      if (changed === undefined) continue;
      expect(changed).not.toBe(text);
      originals.set(path, text);
      await writeFile(path, changed);
    }
    const tampered = await cachedRun();
    expect(tampered.cached.stderr).not.toContain('internal error');
    // The folder entry rejected, its files come from their own entries, a.json's read again when it was changed too.
    expect(tampered.cached.cache).toMatchObject({
      hits: originals.size === 2 ? 1 : 2,
      folderHits: 0,
      rejected: originals.size,
    });
    await tampered.same();
    for (const [path, text] of originals) {
      const rewritten = JSON.parse(await readFile(path, 'utf8')) as Sealed;
      expect(rewritten.sha256).toBe(sha256(JSON.stringify(rewritten.entry)));
      expect(rewritten.entry).toEqual((JSON.parse(text) as Sealed).entry);
    }
    expect((await cachedRun()).cached.cache).toMatchObject({ hits: 2, folderHits: 1, rejected: 0 });
    return tampered.cached;
  }

  /** The state of an entry the first run wrote, to change in place. */
  const stateOf = (body: Body) =>
    body.state as { counts: Record<string, unknown>; analyses: { granted: [string, { access: unknown }][] }[] };

  /** Changes the body of an entry and keeps its digest, as a hand edit, a flipped bit or another program would. */
  const edited =
    (edit: (body: Body, kind: 'file' | 'folder') => boolean) =>
    (text: string, kind: 'file' | 'folder'): string | undefined => {
      const { sha256: digest, entry } = JSON.parse(text) as Sealed;
      return edit(entry, kind) ? JSON.stringify({ sha256: digest, entry }) : undefined;
    };

  const altered: [string, string, (text: string, kind: 'file' | 'folder') => string | undefined][] = [
    [
      'an ARN changed inside it',
      'table/orders replaced by table/ordefs in the text of the folder entry and of a file entry',
      (text) => text.replaceAll('table/orders', 'table/ordefs'),
    ],
    [
      'its analyses replaced by [{}]',
      'state.analyses set to [{}] in the folder entry and in a file entry, the digest left as it was',
      edited((body) => {
        stateOf(body).analyses = [{} as never];
        return true;
      }),
    ],
    [
      'its count of files lowered',
      "the folder entry's count of files set to 1 (its analysis still holds both), the digest left as it was",
      edited((body, kind) => {
        if (kind === 'file') return false;
        body.files = { ...(body.files as object), count: 1 };
        return true;
      }),
    ],
  ];
  for (const [name, produced, change] of altered) {
    it(
      `[reliability] cache entry with ${name} after it was written: never trusted, rebuilt`,
      reliability({
        area: 'input',
        fault: `--cache entry with ${name} after it was written`,
        produced,
        expected:
          'counted as rejected, its files read again: exit 0, the policy and report of a run without cache; the entry written again',
      }),
      async () => {
        const tampered = await tamperedRun(change);
        expect(tampered.policy).not.toContain('ordefs');
      },
    );
  }

  /**
   * Bodies of the entry's own key sealed with a correct digest, as another build or program could write them: the
   * digest holds, the content is not an analysis this build can merge.
   */
  const forged: [string, (body: Body, kind: 'file' | 'folder') => void][] = [
    [
      'a state of null and files that are not a count and a digest',
      (body, kind) => {
        body.state = null;
        if (kind === 'folder') body.files = 'a.json';
      },
    ],
    [
      'analyses of [{}] (the merge would throw)',
      (body) => {
        stateOf(body).analyses = [{} as never];
      },
    ],
    [
      'a granted access of null (the merge would copy it, the policy would throw)',
      (body) => {
        const [granted] = stateOf(body).analyses[0]?.granted ?? [];
        if (granted !== undefined) granted[1].access = null;
      },
    ],
    [
      'a granted access with an empty resource and a made-up action (the policy would grant them)',
      (body) => {
        const [granted] = stateOf(body).analyses[0]?.granted ?? [];
        if (granted !== undefined) granted[1].access = { action: 'not an action', resource: '' };
      },
    ],
    [
      'a count written as text (the report would add it up as text)',
      (body) => {
        stateOf(body).counts.recordsRead = '1';
      },
    ],
  ];
  for (const [name, forge] of forged) {
    it(
      `[reliability] cache entry sealed with a correct digest over ${name}: rejected, no internal error`,
      reliability({
        area: 'input',
        fault: `--cache entry of the right key and digest holding ${name}`,
        produced: 'the folder entry and a file entry rewritten with that content and the SHA-256 of their new text',
        expected:
          'counted as rejected, its files read again: exit 0, the policy and report of a run without cache; the entry written again',
      }),
      async () => {
        await tamperedRun((text, kind) => {
          const { entry } = JSON.parse(text) as Sealed;
          forge(entry, kind);
          return JSON.stringify({ sha256: sha256(JSON.stringify(entry)), entry });
        });
      },
    );
  }
});
