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

  it.each(samples)('%s reproduces expected-policy.json', async (sample) => {
    const { args } = JSON.parse(readFileSync(join(root, 'samples', sample, 'sample.json'), 'utf8')) as {
      args: string[];
    };
    const result = await runCliCaptured(args, root);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(root, 'samples', sample, 'expected-policy.json'), 'utf8'));
  });
});
