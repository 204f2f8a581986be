import type { Access } from '../types.js';
import { generalizeCreated } from './lifecycle.js';
import { generalizeLogStreams } from './log-streams.js';
import { generalizeManyObjectKeys } from './object-threshold.js';
import type { GeneralizeOptions, RuleResult } from './types.js';
import { generalizeVolatileIds } from './volatile-ids.js';

export { fitDocuments } from './fit.js';
export type { Generalization, GeneralizationRule, GeneralizeMode, GeneralizeOptions } from './types.js';
export { generalizeModes } from './types.js';

/**
 * Widens observed resources that will not be the same next week, by explicit rules applied in order; each rule
 * sees the previous rule's output, and every widening is reported. Actions are never touched, and patterns keep
 * the partition, region and account of what was observed.
 */
export function generalizeAccesses(accesses: readonly Access[], options: GeneralizeOptions): RuleResult {
  const mode = options.generalize ?? 'safe';
  const rules: ((input: readonly Access[]) => RuleResult)[] = [generalizeLogStreams];
  if (mode !== 'exact') {
    rules.push((input) => generalizeCreated(input, mode, options.catalog));
    rules.push((input) => generalizeVolatileIds(input, mode === 'broad' ? 1 : 2, options.catalog));
  }
  rules.push((input) => generalizeManyObjectKeys(input, options.objectPrefixThreshold));
  let current: RuleResult = { accesses: [...accesses], generalizations: [] };
  for (const rule of rules) {
    const next = rule(current.accesses);
    current = { accesses: next.accesses, generalizations: [...current.generalizations, ...next.generalizations] };
  }
  return current;
}
