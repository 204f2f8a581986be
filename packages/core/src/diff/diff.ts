import { compareCodePoints } from '../collections.js';
import { evaluate } from '../evaluate/evaluate.js';
import type { IamCatalog } from '../iam-catalog.js';
import type { PolicyDocument } from '../policy-document.js';
import type { Access } from '../types.js';
import { isDataPlaneAction } from './data-plane.js';
import type { Grant } from './grants.js';
import { expandPolicy, indexByAction, isCovered, overlapsAny } from './grants.js';

export type RemovalReason = 'unknown-data-plane' | 'not-seen-in-window';

export interface RemovedGrant extends Grant {
  /** Why logs cannot vouch for it: never seen, or a data-plane action the input could not show. */
  readonly reason: RemovalReason;
}

export interface PolicyDiff {
  readonly current: number;
  readonly proposed: number;
  readonly kept: readonly Grant[];
  /** Current grants whose action the proposal keeps, but on fewer resources (`*` → the ARNs used). */
  readonly narrowed: readonly Grant[];
  readonly removed: readonly RemovedGrant[];
  readonly added: readonly Grant[];
  /** Share of the current (action, resource) grants the proposal removes or narrows, in percent, one decimal. */
  readonly reductionPercent: number;
  /** Observed calls that were denied and that the current policy denies too (missing permissions). */
  readonly deniedByCurrent: readonly Access[];
  readonly changed: boolean;
}

export interface DiffOptions {
  /** Whether the input held data events; without them data-plane removals are "unknown", not "unused". */
  readonly dataEventsSeen: boolean;
  /**
   * Services whose data events the input showed (for the principal): when given, a data-plane removal of any other
   * service is unknown, since a trail may log data events for some services only.
   */
  readonly dataEventServices?: ReadonlySet<string>;
  /** Calls the logs show as denied, to check against the current policy. */
  readonly deniedAccesses?: readonly Access[];
}

const byGrant = (a: Grant, b: Grant) =>
  compareCodePoints(a.action, b.action) || compareCodePoints(a.resource, b.resource);

/** Compares current and proposed policies at the grain of (action, resource), `*` expanded against the catalog. */
export function diffPolicies(
  current: readonly PolicyDocument[],
  proposed: readonly PolicyDocument[],
  catalog: IamCatalog,
  options: DiffOptions,
): PolicyDiff {
  const currentPolicy = expandPolicy(current, catalog);
  const proposedPolicy = expandPolicy(proposed, catalog);
  const currentGrants = currentPolicy.grants;
  const proposedGrants = proposedPolicy.grants;
  const currentIndex = indexByAction(currentGrants);
  const proposedIndex = indexByAction(proposedGrants);
  const kept: Grant[] = [];
  const narrowed: Grant[] = [];
  const removed: RemovedGrant[] = [];
  for (const grant of currentGrants) {
    if (isCovered(grant, proposedIndex, proposedPolicy.denies, currentPolicy.denies)) kept.push(grant);
    // Narrowed: the proposal keeps the action on part of these resources; on none of them, it is removed.
    else if (overlapsAny(grant, proposedIndex)) narrowed.push(grant);
    else
      removed.push({
        ...grant,
        reason:
          isDataPlaneAction(grant.action) &&
          (!options.dataEventsSeen ||
            options.dataEventServices?.has(grant.action.slice(0, grant.action.indexOf(':'))) === false)
            ? 'unknown-data-plane'
            : 'not-seen-in-window',
      });
  }
  const added = proposedGrants.filter(
    (grant) => !isCovered(grant, currentIndex, currentPolicy.denies, proposedPolicy.denies),
  );
  const deniedByCurrent = (options.deniedAccesses ?? []).filter((access) => {
    const request =
      access.context === undefined
        ? { action: access.action, resource: access.resource }
        : { action: access.action, resource: access.resource, context: access.context };
    return evaluate(current, request).decision !== 'allow';
  });
  const reductionPercent =
    currentGrants.length === 0
      ? 0
      : Math.round(((removed.length + narrowed.length) / currentGrants.length) * 1000) / 10;
  return {
    current: currentGrants.length,
    proposed: proposedGrants.length,
    kept: kept.sort(byGrant),
    narrowed: narrowed.sort(byGrant),
    removed: removed.sort(byGrant),
    added: added.sort(byGrant),
    reductionPercent,
    deniedByCurrent,
    changed: removed.length > 0 || narrowed.length > 0 || added.length > 0,
  };
}
