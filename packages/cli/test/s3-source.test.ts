import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { startFaultProxy } from './fault-proxy.js';
import type { Moto } from './moto.js';
import { motoAvailable, startMoto } from './moto.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const sample = join(root, 'samples/orders-api/logs');

describe.skipIf(!motoAvailable())('reading a trail bucket (moto S3)', () => {
  let moto: Moto;
  let dir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'iamgen-s3-'));
    moto = await startMoto();
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'org-trail' }));
    for (const entry of await readdir(sample, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      await s3.send(
        new PutObjectCommand({ Bucket: 'org-trail', Key: relative(sample, path), Body: await readFile(path) }),
      );
    }
    const day = 'AWSLogs/123456789012/CloudTrail/us-east-1';
    // Outside the window: never read, so its corruption never shows.
    await s3.send(
      new PutObjectCommand({ Bucket: 'org-trail', Key: `${day}/2023/01/01/old.json.gz`, Body: 'not gzip' }),
    );
    // Inside the window but unreadable: reported, the rest still read.
    await s3.send(
      new PutObjectCommand({ Bucket: 'org-trail', Key: `${day}/2024/05/01/broken.json.gz`, Body: 'not gzip' }),
    );
    // Another trail under a sibling prefix: never part of s3://org-trail/AWSLogs.
    await s3.send(new PutObjectCommand({ Bucket: 'org-trail', Key: 'AWSLogs-other/x.json.gz', Body: 'not gzip' }));
    await s3.send(
      new PutObjectCommand({ Bucket: 'org-trail', Key: 'AWSLogs2/123456789012/y.json.gz', Body: 'not gzip' }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'org-trail',
        Key: 'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz',
        Body: 'x',
      }),
    );
  });
  afterAll(async () => {
    process.env = saved;
    await moto?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('produces the same policy as the local copy, pruning day folders outside the window', async () => {
    const result = await runCliCaptured(
      [
        'from-trail',
        '--role',
        'orders-api-handler',
        '--events',
        's3://org-trail/AWSLogs/',
        '--since',
        '2024-05-01',
        '--until',
        '2024-05-02',
        '--endpoint-url',
        moto.endpoint,
        '--report',
        'report.json',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(await readFile(join(root, 'samples/orders-api/expected-policy.json'), 'utf8'));
    expect(result.stderr).toContain(
      'warning: s3://org-trail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/broken.json.gz: cannot decompress (not gzip data)',
    );
    expect(result.stderr).not.toContain('old.json.gz');
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(report.counts).toMatchObject({ files: 3, unreadableFiles: 1 });
  });

  it.each([
    ['a folder without its slash', 's3://org-trail/AWSLogs', 3],
    [
      'one object by its key',
      's3://org-trail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T0816Z_k3JhLm2P.json.gz',
      1,
    ],
  ])('reads %s as a local path would, never a sibling prefix', async (name, url, files) => {
    const report = join(dir, `${name}.json`);
    const argv = ['from-trail', '--role', 'orders-api-handler', '--events', url, '--since', '2024-05-01'];
    const result = await runCliCaptured(
      [...argv, '--until', '2024-05-02', '--endpoint-url', moto.endpoint, '--report', report],
      dir,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/AWSLogs-other|AWSLogs2/);
    expect(JSON.parse(await readFile(report, 'utf8')).counts.files).toBe(files);
  });

  it('serves an unchanged day folder of a bucket from one cache entry and reads only objects added to it', async () => {
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'nightly-trail' }));
    const folder = 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01';
    const files = (await readdir(join(sample, folder))).sort();
    for (const name of files) {
      const Body = await readFile(join(sample, folder, name));
      await s3.send(new PutObjectCommand({ Bucket: 'nightly-trail', Key: `${folder}/${name}`, Body }));
    }
    const read = async (...extra: string[]) => {
      const args = ['from-trail', '--role', 'orders-api-handler', '--events', 's3://nightly-trail/AWSLogs/'];
      const result = await runCliCaptured(
        [...args, '--endpoint-url', moto.endpoint, '--report', 'r.json', ...extra],
        dir,
      );
      const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as { cache?: Record<string, number> };
      return { policy: result.stdout, cache: report.cache };
    };
    await read('--cache', 'nightly-cache');
    const again = await read('--cache', 'nightly-cache');
    expect(again.cache).toMatchObject({ hits: 2, folderHits: 1, misses: 0 });
    expect(again.policy).toBe(await readFile(join(root, 'samples/orders-api/expected-policy.json'), 'utf8'));
    // A copy of the first file delivered later: its events count twice, the policy stays what it was.
    const Body = await readFile(join(sample, folder, files[0] ?? ''));
    await s3.send(new PutObjectCommand({ Bucket: 'nightly-trail', Key: `${folder}/z-later.json.gz`, Body }));
    const grown = await read('--cache', 'nightly-cache');
    expect(grown.cache).toMatchObject({ hits: 2, folderHits: 1, misses: 1 });
    expect(grown.policy).toBe((await read()).policy);
  });

  it('fetches an object once when its events straddle the window and the cache has no entry for it', async () => {
    const proxy = await startFaultProxy(moto.endpoint, 's3');
    try {
      const result = await runCliCaptured(
        [
          'from-trail',
          '--role',
          'orders-api-handler',
          '--events',
          's3://org-trail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/',
          '--since',
          '2024-05-01T08:10:00Z',
          '--endpoint-url',
          proxy.endpoint,
          '--cache',
          'edge-cache',
          '--report',
          'edge.json',
        ],
        dir,
      );
      const report = JSON.parse(await readFile(join(dir, 'edge.json'), 'utf8'));
      // The straddling object is read twice (without the window for its entry, then with it), fetched once, and
      // counted once: a miss, as it was not in the cache.
      expect(report.cache).toMatchObject({ hits: 0, misses: 3, windowEdgeRereads: 0 });
      const fetches = proxy.seen.filter((r) => r.method === 'GET' && r.url.includes('.json.gz')).map((r) => r.url);
      expect(fetches).toHaveLength(3);
      expect(new Set(fetches).size).toBe(3);
      expect(result.code).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('fails with one line when the bucket does not exist', async () => {
    const result = await runCliCaptured(
      ['roles', '--events', 's3://no-such-bucket/', '--endpoint-url', moto.endpoint],
      dir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^iamgen: cannot list s3:\/\/no-such-bucket\/ \(NoSuchBucket/);
  });
});
