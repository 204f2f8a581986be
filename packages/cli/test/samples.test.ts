import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** Sample folders that are not event scenarios: `nightly` is the scheduled-job setup (see propose-config.test.ts). */
const notScenarios = new Set(['nightly']);
const samples = readdirSync(join(root, 'samples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !notScenarios.has(entry.name))
  .map((entry) => entry.name)
  .sort();

// Golden tests: each sample's events must produce its expected policy, byte for byte.
describe('samples', () => {
  it('has at least three scenarios', () => {
    expect(samples.length).toBeGreaterThanOrEqual(3);
  });

  // A sample may add variants (other flags, other principals of the same logs), each with its own golden file.
  const runs = samples.flatMap((sample) => {
    const spec = JSON.parse(readFileSync(join(root, 'samples', sample, 'sample.json'), 'utf8')) as {
      args: string[];
      expected?: string;
      variants?: { args: string[]; expected: string }[];
    };
    return [{ args: spec.args, expected: spec.expected ?? 'expected-policy.json' }, ...(spec.variants ?? [])].map(
      (run) => [sample, run.expected, run.args] as const,
    );
  });

  it.each(runs)('%s reproduces %s', async (sample, expected, args) => {
    const result = await runCliCaptured(args, root);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(root, 'samples', sample, expected), 'utf8'));
  });
});
