/**
 * `pnpm fuzz [--duration 10m] [--record]`: the pipeline property of the test suite (real, mutated and arbitrary
 * records; valid policies, catalog actions only, coverage proof, order independence) run for a length of time
 * over the samples and the shared real datasets. `--record` keeps the outcome in docs/fuzz-run.json, which
 * `pnpm reliability` quotes. Exits 1 when the property failed, with the counterexample.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '60s' }, record: { type: 'boolean', default: false } },
});
const match = /^(\d+)(s|m|h)$/.exec(values.duration);
if (match === null) {
  process.stderr.write(`fuzz: --duration takes 90s, 10m or 1h, not ${values.duration}\n`);
  process.exit(2);
}
const ms = Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
const root = fileURLToPath(new URL('../../../..', import.meta.url)).replace(/\/$/, '');

const scratch = await mkdtemp(join(tmpdir(), 'iamgen-fuzz-'));
try {
  const resultFile = join(scratch, 'result.json');
  spawnSync('pnpm', ['exec', 'vitest', 'run', 'packages/cli/test/fuzz.test.ts'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, IAMGEN_FUZZ_MS: String(ms), IAMGEN_FUZZ_RESULT: resultFile },
  });
  const result = JSON.parse(await readFile(resultFile, 'utf8').catch(() => 'null')) as {
    seed: number;
    runs: number;
    seconds: number;
    events: number;
    failed: boolean;
    error?: string;
    counterexample?: string;
  } | null;
  if (result === null) {
    process.stderr.write('fuzz: the run did not finish\n');
    process.exit(1);
  }
  const summary = `${result.runs} cases in ${result.seconds} s over ${result.events} real events (seed ${result.seed}): ${result.failed ? `FAILED: ${result.error}` : 'no failure'}`;
  process.stdout.write(`fuzz: ${summary}\n`);
  if (result.failed) process.stdout.write(`counterexample: ${result.counterexample}\n`);
  if (values.record) {
    await writeFile(
      join(root, 'docs/fuzz-run.json'),
      `${JSON.stringify({ date: new Date().toISOString().slice(0, 10), node: process.version, ...result, summary }, null, 2)}\n`,
    );
  }
  process.exitCode = result.failed ? 1 : 0;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
