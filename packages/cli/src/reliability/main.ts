/**
 * `pnpm reliability`: runs the tests marked `[reliability]` with Vitest's JSON reporter and writes
 * docs/reliability.md from their metadata and results. `--check` compares instead of writing (for CI).
 * Exits 1 when a reliability test failed or, with `--check`, when the committed page differs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { VitestJsonReport } from './table.js';
import { reliabilityRows, renderReliabilityTable } from './table.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const root = fileURLToPath(new URL('../../../..', import.meta.url)).replace(/\/$/, '');
const page = join(root, 'docs/reliability.md');
const fuzzRecord = join(root, 'docs/fuzz-run.json');

const scratch = await mkdtemp(join(tmpdir(), 'iamgen-reliability-'));
try {
  const output = join(scratch, 'results.json');
  const run = spawnSync(
    'pnpm',
    ['exec', 'vitest', 'run', '--reporter=json', `--outputFile=${output}`, '-t', '\\[reliability\\]'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const report = JSON.parse(await readFile(output, 'utf8').catch(() => '{"testResults":[]}')) as VitestJsonReport;
  const rows = reliabilityRows(report, root);
  const fuzz = await readFile(fuzzRecord, 'utf8').then(
    (text) => JSON.parse(text) as { summary: string },
    () => undefined,
  );
  const notes =
    fuzz === undefined
      ? []
      : [`Last long fuzz run (\`pnpm fuzz\`, recorded in \`docs/fuzz-run.json\`): ${fuzz.summary}`];
  const text = renderReliabilityTable(rows, notes);
  const failed = rows.filter((r) => r.result === 'FAIL');
  for (const row of failed) process.stderr.write(`reliability: FAIL ${row.test} (${row.file}): ${row.failure ?? ''}\n`);
  if (rows.length === 0) {
    process.stderr.write(`reliability: no [reliability] tests ran (vitest exit ${run.status})\n`);
    process.exitCode = 1;
  } else if (values.check) {
    const committed = await readFile(page, 'utf8').catch(() => '');
    if (committed !== text) {
      process.stderr.write('reliability: docs/reliability.md is out of date; run pnpm reliability and commit it\n');
      process.exitCode = 1;
    } else process.stderr.write(`reliability: docs/reliability.md is current (${rows.length} rows)\n`);
  } else {
    await writeFile(page, text);
    process.stderr.write(`reliability: ${rows.length} rows written to docs/reliability.md\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
