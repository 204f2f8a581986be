import type { IamCatalog } from '../iam-catalog.js';
import type { Access } from '../types.js';
import { applyWidenings, widenByPrefix } from './replace.js';
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
  const widenings = widenByPrefix(
    accesses,
    catalog,
    (named) => {
      const prefix = stablePrefix(named.name);
      return prefix === '' && named.kind !== 's3:object' ? undefined : prefix;
    },
    minimumNames,
    (names) => ({ rule: 'volatile-id', because: `${names} names differ only in a date or generated id` }),
  );
  return applyWidenings(accesses, widenings);
}
