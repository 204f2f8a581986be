import { getOrCreate } from '../collections.js';
import type { IamCatalog } from '../iam-catalog.js';
import type { Access } from '../types.js';
import type { Widening } from './replace.js';
import { applyWidenings } from './replace.js';
import { resourceNameOf, widenable } from './resource-name.js';
import type { RuleResult } from './types.js';
import { stablePrefix } from './volatile.js';

/**
 * Volatile ids: names that differ only after a date, UUID or generated id (`invoices/2024/06/a.csv`,
 * `invoices/2024/07/b.csv`) collapse to their stable prefix (`invoices/*`) once two of them are seen.
 * Outside S3 keys the prefix must not be empty, so a set of KMS keys (named by UUIDs) stays exact.
 */
export function generalizeVolatileIds(
  accesses: readonly Access[],
  minimumNames: number,
  catalog?: IamCatalog,
): RuleResult {
  const groups = new Map<string, { into: string; names: Set<string>; resources: Set<string> }>();
  for (const access of accesses) {
    const named = resourceNameOf(access.action, access.resource, catalog);
    if (named === undefined || !widenable(named.container)) continue;
    const prefix = stablePrefix(named.name);
    if (prefix === undefined || (prefix === '' && named.kind !== 's3:object')) continue;
    const into = `${named.container}${prefix}*`;
    const group = getOrCreate(groups, into, () => ({ into, names: new Set<string>(), resources: new Set<string>() }));
    group.names.add(named.name);
    group.resources.add(access.resource);
  }
  const widenings = new Map<string, Widening>();
  for (const { into, names, resources } of groups.values()) {
    if (names.size < minimumNames) continue;
    const because = `${names.size} names differ only in a date or generated id`;
    for (const resource of resources) widenings.set(resource, { into, rule: 'volatile-id', because });
  }
  return applyWidenings(accesses, widenings);
}
