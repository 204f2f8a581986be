import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrailEvent } from '@iamgen/core';
import { isIssue, loadIamCatalog, mapEvent, normalizeRecord, resourceRequestFields } from '@iamgen/core';
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

describe('the request projection', () => {
  it('is what makes rows faithful: without the catalog keys the samples lose resources', async () => {
    const catalog = await loadIamCatalog();
    const records = await localRecords(samples);
    const crippled = { ...resourceRequestFields(catalog), keys: [], serviceKeys: [], keepValuesMatching: '^$' };
    const local = outcomesByPrincipal(records, catalog);
    const athena = outcomesByPrincipal(throughAthena(records, catalog, crippled), catalog);
    const differing = [...local].filter(([principal, outcome]) => athena.get(principal)?.granted !== outcome.granted);
    expect(differing.length).toBeGreaterThan(0);
  });

  // Every top-level request key the mapping looks up by name (not by walking the request) is kept by name, so
  // a service rule that starts reading a new key fails here before rows can lose it.
  it.each([...samples, ...datasets])('keeps every key the mapping reads by name in %s', async (folder) => {
    const catalog = await loadIamCatalog();
    const projection = resourceRequestFields(catalog);
    const everywhere = new Set(projection.keys);
    const byService = new Set(projection.serviceKeys);
    const missing = new Set<string>();
    for (const { record, origin } of await localRecords([folder])) {
      const event = normalizeRecord(record, origin);
      if (isIssue(event)) continue;
      const kept = (key: string) =>
        everywhere.has(key.toLowerCase()) || byService.has(`${event.eventSource}|${key.toLowerCase()}`);
      mapEvent(
        probed(event, (key) => kept(key) || missing.add(`${event.eventSource} ${key}`)),
        catalog,
      );
    }
    expect([...missing]).toEqual([]);
  });
});

/**
 * The event with its request wrapped so that every lookup of a present key by name is reported. `Object.keys`
 * asks for each key's descriptor too; those lookups are walks, not reads by name, and are not reported.
 */
function probed(event: TrailEvent, onRead: (key: string) => unknown): TrailEvent {
  const walking: string[] = [];
  const params = new Proxy(event.requestParameters, {
    ownKeys(target) {
      const keys = Reflect.ownKeys(target);
      walking.push(...keys.filter((k): k is string => typeof k === 'string'));
      return keys;
    },
    getOwnPropertyDescriptor(target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
      if (walking[0] === key) walking.shift();
      else if (typeof key === 'string' && descriptor !== undefined) onRead(key);
      return descriptor;
    },
  });
  return { ...event, requestParameters: params };
}
