/**
 * The physical limit for `pnpm bench`: decompress every log file and nothing else, on one worker thread per core,
 * the way iamgen decompresses (the whole output in one chunk). No reader that has to look at every byte can be
 * faster than this on the same machine.
 */
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { outputChunkSize } from '../sources/gzip-output.js';

if (isMainThread) {
  const root = process.argv[2] ?? '.';
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
            workerData: files.filter((_, n) => n % threads === i),
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  process.stdout.write(`${totals.reduce((a, b) => a + b, 0)}\n`);
} else {
  let bytes = 0;
  for (const file of workerData as string[]) {
    const content = await readFile(file);
    bytes += gunzipSync(content, { chunkSize: outputChunkSize(content) }).byteLength;
  }
  parentPort?.postMessage(bytes);
}
