/** The baseline for `pnpm bench`: find, decompress and parse every log file on one thread, and nothing else. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pLimit from 'p-limit';

const root = process.argv[2] ?? '.';
const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.json.gz')).sort();
const limit = pLimit(1);
let events = 0;
await Promise.all(
  files.map((file) =>
    limit(async () => {
      const document = JSON.parse(gunzipSync(await readFile(join(root, file))).toString('utf8')) as {
        Records: unknown[];
      };
      events += document.Records.length;
    }),
  ),
);
process.stdout.write(`${events}\n`);
