import type { Access, GeneralizeMode, IamCatalog, PolicyDocument, TrailEvent } from '@iamgen/core';
import {
  AccessSet,
  compareCodePoints,
  evaluate,
  isIssue,
  mapEvent,
  nonAuthorizationReason,
  normalizeRecord,
  planGrants,
  principalOf,
  shapePolicy,
} from '@iamgen/core';
import { readLocalRecords } from '../sources/local-files.js';

/** Share of each principal's events (by time) that trains the policy; the rest tests it. */
const trainShare = 0.7;

export interface SplitFigures {
  /** Later (action, resource) needs on actions the trained policy grants, and how many it allows. */
  readonly needs: number;
  readonly allowed: number;
  readonly survivalPercent: number;
  /** Resource-scopable actions in the trained policies, and how many are granted only on `*`. */
  readonly scopableActions: number;
  readonly starOnly: number;
  readonly starPercent: number;
}

export interface TimeSplit {
  readonly principals: number;
  readonly byMode: Readonly<Record<GeneralizeMode, SplitFigures>>;
  /** Later needs the safe policy still refuses, a few for the reader. */
  readonly missedExamples: readonly string[];
}

const percent = (part: number, whole: number) => (whole === 0 ? 100 : Math.round((part / whole) * 1000) / 10);

/**
 * The churn check: per principal, the first 70% of its events (by time) train a policy and the last 30% test
 * it. A later need counts when its action is granted by the trained policy; it survives when the policy allows
 * it with its condition context, by iamgen's own evaluator.
 */
export async function timeSplit(folder: string, catalog: IamCatalog): Promise<TimeSplit> {
  const byPrincipal = new Map<string, TrailEvent[]>();
  for await (const item of readLocalRecords([folder], { displayRoot: folder })) {
    if (isIssue(item)) continue;
    const event = normalizeRecord(item.record, item.origin);
    if (isIssue(event) || event.eventTime === undefined) continue;
    const principal = principalOf(event);
    if (nonAuthorizationReason(event, principal) !== undefined) continue;
    const events = byPrincipal.get(principal.arn) ?? [];
    events.push(event);
    byPrincipal.set(principal.arn, events);
  }
  const totals = {
    exact: { needs: 0, allowed: 0, scopable: 0, star: 0 },
    safe: { needs: 0, allowed: 0, scopable: 0, star: 0 },
    broad: { needs: 0, allowed: 0, scopable: 0, star: 0 },
  };
  const missed: string[] = [];
  let principals = 0;
  for (const [arn, events] of [...byPrincipal].sort(([a], [b]) => compareCodePoints(a, b))) {
    const ordered = events
      .map((event, order) => ({ event, order }))
      .sort((a, b) => compareCodePoints(a.event.eventTime ?? '', b.event.eventTime ?? '') || a.order - b.order)
      .map(({ event }) => event);
    const cut = Math.floor(ordered.length * trainShare);
    const train = mappedAccesses(ordered.slice(0, cut), catalog);
    const test = mappedAccesses(ordered.slice(cut), catalog);
    if (train.length === 0 || test.length === 0) continue;
    principals += 1;
    for (const mode of ['exact', 'safe', 'broad'] as const) {
      const documents = trainedPolicy(train, arn, mode, catalog);
      const granted = grantedActions(documents);
      const sum = totals[mode];
      for (const need of test) {
        if (!granted.has(need.action.toLowerCase())) continue;
        sum.needs += 1;
        const request =
          need.context === undefined
            ? { action: need.action, resource: need.resource }
            : { action: need.action, resource: need.resource, context: need.context };
        if (evaluate(documents, request).decision === 'allow') sum.allowed += 1;
        else if (mode === 'safe' && missed.length < 20) missed.push(`${arn}: ${need.action} on ${need.resource}`);
      }
      const star = starOnlyActions(documents, catalog);
      sum.scopable += star.scopable;
      sum.star += star.starOnly;
    }
  }
  const figures = (t: (typeof totals)['exact']): SplitFigures => ({
    needs: t.needs,
    allowed: t.allowed,
    survivalPercent: percent(t.allowed, t.needs),
    scopableActions: t.scopable,
    starOnly: t.star,
    starPercent: t.scopable === 0 ? 0 : Math.round((t.star / t.scopable) * 1000) / 10,
  });
  return {
    principals,
    byMode: { exact: figures(totals.exact), safe: figures(totals.safe), broad: figures(totals.broad) },
    missedExamples: missed,
  };
}

/** Distinct authorized accesses of these events, as `from-trail` would fold them. */
function mappedAccesses(events: readonly TrailEvent[], catalog: IamCatalog): Access[] {
  const set = new AccessSet();
  for (const event of events) {
    const outcome = mapEvent(event, catalog);
    if (outcome.kind === 'mapped') for (const access of outcome.accesses) set.add(access);
  }
  return set.accesses();
}

function trainedPolicy(
  accesses: readonly Access[],
  principalArn: string,
  mode: GeneralizeMode,
  catalog: IamCatalog,
): readonly PolicyDocument[] {
  const plan = planGrants(accesses, { principalArn });
  return shapePolicy(plan.accesses, { policyKind: 'managed', objectPrefixThreshold: 20, generalize: mode, catalog })
    .documents;
}

function actionsOf(statement: PolicyDocument['Statement'][number]): readonly string[] {
  const value = statement.Action;
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

function grantedActions(documents: readonly PolicyDocument[]): Set<string> {
  return new Set(documents.flatMap((d) => d.Statement.flatMap((s) => actionsOf(s).map((a) => a.toLowerCase()))));
}

/** Actions that support a resource type but are granted on `*` alone. */
function starOnlyActions(
  documents: readonly PolicyDocument[],
  catalog: IamCatalog,
): { scopable: number; starOnly: number } {
  const onlyStar = new Map<string, boolean>();
  for (const statement of documents.flatMap((d) => d.Statement)) {
    const resources = statement.Resource === undefined ? [] : [statement.Resource].flat();
    const star = resources.length === 1 && resources[0] === '*';
    for (const action of actionsOf(statement)) {
      if ((catalog.actionByQualifiedName(action)?.resourceTypes.length ?? 0) === 0) continue;
      onlyStar.set(action, (onlyStar.get(action) ?? true) && star);
    }
  }
  return { scopable: onlyStar.size, starOnly: [...onlyStar.values()].filter(Boolean).length };
}
