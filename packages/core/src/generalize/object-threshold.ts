import { getOrCreate } from '../collections.js';
import type { Access } from '../types.js';
import type { Widening } from './replace.js';
import { applyWidenings } from './replace.js';
import type { RuleResult } from './types.js';

const s3ObjectArn = /^(arn:[^:]+:s3:::[^/]+)\/(.+)$/;

/** The fallback for keys with no volatile part: many distinct keys in one folder become `folder/*`. */
export function generalizeManyObjectKeys(accesses: readonly Access[], threshold: number): RuleResult {
  if (threshold <= 0) return { accesses: [...accesses], generalizations: [] };
  const keysByPrefix = new Map<string, Set<string>>();
  for (const access of accesses) {
    const prefix = objectPrefix(access.resource);
    if (prefix !== undefined) getOrCreate(keysByPrefix, prefix, () => new Set<string>()).add(access.resource);
  }
  const widenings = new Map<string, Widening>();
  for (const [prefix, keys] of keysByPrefix) {
    if (keys.size < threshold) continue;
    const widening: Widening = {
      into: `${prefix}*`,
      rule: 's3-object-prefix',
      because: `${keys.size} distinct keys in one folder (threshold ${threshold})`,
    };
    for (const key of keys) widenings.set(key, widening);
  }
  return applyWidenings(accesses, widenings);
}

/** `arn:aws:s3:::b/uploads/2024/x.png` → `arn:aws:s3:::b/uploads/2024/`; undefined for non-object ARNs. */
function objectPrefix(resource: string): string | undefined {
  const match = s3ObjectArn.exec(resource);
  if (!match || resource.includes('*')) return undefined;
  const key = match[2] ?? '';
  const slash = key.lastIndexOf('/');
  return `${match[1]}/${slash === -1 ? '' : key.slice(0, slash + 1)}`;
}
