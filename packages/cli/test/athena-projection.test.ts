import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIamCatalog } from '@iamgen/core';
import { describe, expect, it } from 'vitest';
import { localRecords, outcomesByPrincipal, throughAthena } from './athena-twin.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const folders = (parent: string) =>
  existsSync(parent)
    ? readdirSync(parent, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(parent, entry.name))
        .sort()
    : [];
const samples = folders(join(root, 'samples'));
const datasets = folders(join(root, '..', 'shared', 'datasets'));

/**
 * Rows aggregated by the Athena query, read back, must give every principal the policy and counts that its raw
 * events give: the projection keeps everything the mapping reads.
 */
async function expectSameOutcomes(folder: string): Promise<number> {
  const catalog = await loadIamCatalog();
  const records = await localRecords([folder]);
  const rows = throughAthena(records, catalog);
  const local = outcomesByPrincipal(records, catalog);
  const athena = outcomesByPrincipal(rows, catalog);
  expect([...athena.keys()].sort()).toEqual([...local.keys()].sort());
  for (const [principal, outcome] of local)
    expect({ principal, ...athena.get(principal) }).toEqual({ principal, ...outcome });
  return local.size;
}

describe('Athena rows give the policies of the raw events', () => {
  it.each(samples)('sample %s', async (folder) => {
    expect(await expectSameOutcomes(folder)).toBeGreaterThan(0);
  });

  it.skipIf(datasets.length === 0).each(datasets)(
    'dataset %s',
    async (folder) => {
      await expectSameOutcomes(folder);
    },
    120_000,
  );
});
