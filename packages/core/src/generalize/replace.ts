import { compareCodePoints, getOrCreate, sortedUnique } from '../collections.js';
import type { Access } from '../types.js';
import type { Generalization, GeneralizationRule, RuleResult } from './types.js';

/** A report lists this many observed values per generalization; `replaced` has the full count. */
const shownCovers = 20;

export interface Widening {
  readonly into: string;
  readonly rule: GeneralizationRule;
  readonly because: string;
}

/** Rewrites the resources a rule widened and describes each pattern once, in code-point order. */
export function applyWidenings(accesses: readonly Access[], widenings: ReadonlyMap<string, Widening>): RuleResult {
  const covered = new Map<string, { widening: Widening; resources: Set<string> }>();
  const out = accesses.map((access) => {
    const widening = widenings.get(access.resource);
    if (widening === undefined) return access;
    getOrCreate(covered, `${widening.rule}\u0000${widening.into}`, () => ({
      widening,
      resources: new Set(),
    })).resources.add(access.resource);
    return { ...access, resource: widening.into };
  });
  const generalizations = [...covered.values()]
    .map(({ widening, resources }): Generalization => {
      const all = sortedUnique(resources);
      return {
        rule: widening.rule,
        into: widening.into,
        replaced: all.length,
        covers: all.slice(0, shownCovers),
        because: widening.because,
      };
    })
    .sort((a, b) => compareCodePoints(a.into, b.into) || compareCodePoints(a.rule, b.rule));
  return { accesses: out, generalizations };
}
