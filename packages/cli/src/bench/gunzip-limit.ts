/**
 * The physical limit for `pnpm bench`: decompress every log file and nothing else, on one worker thread per core.
 * `node gunzip-limit.js DIR` decompresses the way iamgen does (the whole output in one chunk): no reader that has to
 * look at every byte can be faster on the same machine. `node gunzip-limit.js DIR plain` calls `gunzipSync` with its
 * defaults, as a plain reader would: the output comes in 16 KiB chunks, joined at the end.
 */
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { outputChunkSize } from '../sources/gzip-output.js';

if (isMainThread) {
  const root = process.argv[2] ?? '.';
  const plain = process.argv[3] === 'plain';
  const files = (await readdir(root, { recursive: true }))
    .filter((f) => f.endsWith('.json.gz'))
    .sort()
    .map((f) => join(root, f));
  const threads = availableParallelism();
  const totals = await Promise.all(
    Array.from(
      { length: threads },
      (_, i) =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), {
            workerData: { plain, files: files.filter((_, n) => n % threads === i) },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  process.stdout.write(`${totals.reduce((a, b) => a + b, 0)}\n`);
} else {
  const { plain, files } = workerData as { plain: boolean; files: string[] };
  let bytes = 0;
  for (const file of files) {
    const content = await readFile(file);
    bytes += (plain ? gunzipSync(content) : gunzipSync(content, { chunkSize: outputChunkSize(content) })).byteLength;
  }
  parentPort?.postMessage(bytes);
}
