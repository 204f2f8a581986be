import { writeFile } from 'node:fs/promises';
import type { IamCatalog } from '@iamgen/core';
import { loadIamCatalog } from '@iamgen/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadEventPool, pipelineProperty } from './pipeline-properties.js';
import { reliability } from './reliability.js';

/** `pnpm fuzz` sets these: how long to run, and where to write what the run found. */
const longRunMs = Number(process.env.IAMGEN_FUZZ_MS ?? '0');
const resultFile = process.env.IAMGEN_FUZZ_RESULT;

let catalog: IamCatalog;
let pool: unknown[];
beforeAll(async () => {
  catalog = await loadIamCatalog();
  // The fast run stays on the bundled samples so it is the same everywhere; the long run adds the real datasets.
  pool = await loadEventPool(longRunMs > 0);
});

describe.skipIf(longRunMs > 0)('pipeline properties (fast run)', () => {
  it(
    '[reliability] real, mutated and arbitrary records through the whole pipeline',
    reliability({
      area: 'property',
      fault:
        'arbitrary JSON and mutated real events (deleted and replaced fields, numbers for strings, __proto__/constructor keys, denials)',
      produced: 'fast-check over the sample events: 60 cases of 5 to 60 records each, every principal (--all)',
      expected:
        'no exception; only catalog actions; ARNs or *; unique Sids; within the size limit; coverage proof holds; another record order gives the same bytes',
    }),
    () => {
      expect(pool.length).toBeGreaterThan(20);
      fc.assert(pipelineProperty(catalog, pool), { numRuns: 60, seed: 20240501 });
    },
  );
});

describe.skipIf(longRunMs === 0)('pipeline properties (long run)', () => {
  it('holds for as long as asked', { timeout: longRunMs + 120_000 }, async () => {
    const started = Date.now();
    const seed = Date.now() % 2 ** 31;
    const details = fc.check(pipelineProperty(catalog, pool), {
      numRuns: Number.MAX_SAFE_INTEGER,
      interruptAfterTimeLimit: longRunMs,
      markInterruptAsFailure: false,
      seed,
    });
    const summary = {
      seed,
      runs: details.numRuns,
      seconds: Math.round((Date.now() - started) / 1000),
      events: pool.length,
      failed: details.failed,
      counterexample: details.failed ? JSON.stringify(details.counterexample)?.slice(0, 2000) : undefined,
      error: details.failed ? String(details.errorInstance) : undefined,
    };
    if (resultFile !== undefined) await writeFile(resultFile, JSON.stringify(summary));
    expect(details.failed, summary.error).toBe(false);
  });
});
