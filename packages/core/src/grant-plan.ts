import type { AddedCompanion } from './companions.js';
import { addUnloggedCompanions } from './companions.js';
import type { EscalationOptions, GrantToNarrow } from './escalation.js';
import { narrowEscalationGrants } from './escalation.js';
import type { Access } from './types.js';

export interface GrantPlan {
  /** What the policy must allow: observed accesses, escalation grants narrowed, unlogged companions added. */
  readonly accesses: readonly Access[];
  readonly companions: readonly AddedCompanion[];
  readonly toNarrow: readonly GrantToNarrow[];
}

/**
 * From observed accesses to the accesses a policy must allow (and be proved against): privilege-escalation
 * grants never on `*`, and the calls CloudTrail does not record but the observed ones imply.
 */
export function planGrants(observed: readonly Access[], options: EscalationOptions): GrantPlan {
  const narrowed = narrowEscalationGrants(observed, options);
  const completed = addUnloggedCompanions(narrowed.accesses);
  return { accesses: completed.accesses, companions: completed.added, toNarrow: narrowed.toNarrow };
}
