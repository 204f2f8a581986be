import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { bytesBeforeWorkers } from '../src/sources/analysis-pool.js';
import { trailEvent } from './trail-fixtures.js';

let dir: string;

/**
 * 37 files over two folders, read in batches of local files without a cache and one file at a time with one (the
 * cache keeps an entry per file): a truncated file, a file of another layout and an empty one sit between them.
 */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-batches-'));
  const roles = ['app', 'worker', 'app-2'];
  for (let n = 0; n < 37; n++) {
    const folder = join(dir, 'AWSLogs', '123456789012', 'CloudTrail', 'us-east-1', '2024', '05', n < 20 ? '01' : '02');
    await mkdir(folder, { recursive: true });
    const records = Array.from({ length: 5 }, (_, i) =>
      trailEvent({
        role: roles[(n + i) % roles.length] ?? 'app',
        source: 'dynamodb',
        name: i % 2 === 0 ? 'GetItem' : 'PutItem',
        time: `2024-05-0${n < 20 ? 1 : 2}T${String(n % 24).padStart(2, '0')}:0${i}:00Z`,
        params: { tableName: `t${(n * 5 + i) % 11}` },
      }),
    );
    const name = join(folder, `f${String(n).padStart(2, '0')}.json.gz`);
    const text = JSON.stringify({ Records: records });
    if (n === 9) await writeFile(name, gzipSync(text).subarray(0, 40));
    else if (n === 14) await writeFile(name, gzipSync(records.map((r) => JSON.stringify(r)).join('\n')));
    else if (n === 23) await writeFile(name, gzipSync(''));
    else await writeFile(name, gzipSync(text));
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(out: string, ...extra: string[]) {
  const result = await runCliCaptured(['from-trail', '--all', '--events', 'AWSLogs', '--out-dir', out, ...extra], dir);
  const files = (await readdir(join(dir, out))).sort();
  const written = await Promise.all(files.map((f) => readFile(join(dir, out, f), 'utf8')));
  // The cache's own figures are the only thing the two reads may differ in.
  const index = JSON.parse(written[files.indexOf('report.json')] ?? '{}', (key, value) =>
    key === 'cache' ? undefined : value,
  ) as unknown;
  return { code: result.code, stderr: result.stderr.replaceAll(out, 'OUT'), files, written, index };
}

describe('a read in batches of files', () => {
  it('writes what a read one file at a time writes, problems and counts included', async () => {
    const batched = await read('batched');
    const single = await read('single', '--cache', 'cache');
    expect(batched.code).toBe(single.code);
    expect(batched.stderr).toBe(single.stderr);
    expect(batched.files).toEqual(single.files);
    expect(batched.index).toEqual(single.index);
    expect(batched.written.map((text, i) => (batched.files[i] === 'report.json' ? '' : text))).toEqual(
      single.written.map((text, i) => (single.files[i] === 'report.json' ? '' : text)),
    );
    expect(batched.index).toMatchObject({ counts: { files: 37, unreadableFiles: 2 } });
  });
});

describe('bytesBeforeWorkers', () => {
  it.each([
    ['auto, no cache: a small read stays in the main thread', 'auto', false, 4 * 1024 * 1024],
    [
      "auto, with a cache: the files added since the last run, a nightly run's few dozen",
      'auto',
      true,
      32 * 1024 * 1024,
    ],
    ['a number of workers asked for: threads from the first file', 2, true, 0],
  ] as const)('%s', (_, asked, cached, bytes) => {
    expect(bytesBeforeWorkers(asked, cached)).toBe(bytes);
  });
});
