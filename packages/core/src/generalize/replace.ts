import { compareCodePoints, firstInOrder, getOrCreate } from '../collections.js';
import type { IamCatalog } from '../iam-catalog.js';
import type { Access } from '../types.js';
import type { ResourceName } from './resource-name.js';
import { resourceNameOf, widenable } from './resource-name.js';
import type { Generalization, GeneralizationRule, RuleResult } from './types.js';

/** A report lists this many observed values per generalization; `replaced` has the full count. */
const shownCovers = 20;

export interface Widening {
  readonly into: string;
  readonly rule: GeneralizationRule;
  readonly because: string;
}

/**
 * Groups the widenable resources by the pattern `<container><prefix>*` that `prefixOf` gives their names (undefined:
 * keep exact), and widens every group of at least `minimumNames` distinct names into its pattern.
 */
export function widenByPrefix(
  accesses: readonly Access[],
  catalog: IamCatalog | undefined,
  prefixOf: (named: ResourceName) => string | undefined,
  minimumNames: number,
  widening: (names: number) => Omit<Widening, 'into'>,
): Map<string, Widening> {
  const groups = new Map<string, { into: string; names: Set<string>; resources: Set<string> }>();
  for (const access of accesses) {
    const named = resourceNameOf(access.action, access.resource, catalog);
    if (named === undefined || !widenable(named.container)) continue;
    const prefix = prefixOf(named);
    if (prefix === undefined) continue;
    const into = `${named.container}${prefix}*`;
    const group = getOrCreate(groups, into, () => ({ into, names: new Set<string>(), resources: new Set<string>() }));
    group.names.add(named.name);
    group.resources.add(access.resource);
  }
  const widenings = new Map<string, Widening>();
  for (const { into, names, resources } of groups.values()) {
    if (names.size < minimumNames) continue;
    const shared: Widening = { into, ...widening(names.size) };
    for (const resource of resources) widenings.set(resource, shared);
  }
  return widenings;
}

/** Rewrites the resources a rule widened and describes each pattern once, in code-point order. */
export function applyWidenings(accesses: readonly Access[], widenings: ReadonlyMap<string, Widening>): RuleResult {
  const covered = new Map<string, { widening: Widening; resources: Set<string> }>();
  // Rules share one widening among the resources of a group: its entry is found once, not once per resource.
  const coveredBy = new Map<Widening, { widening: Widening; resources: Set<string> }>();
  const out = accesses.map((access) => {
    const widening = widenings.get(access.resource);
    if (widening === undefined) return access;
    const entry = getOrCreate(coveredBy, widening, () =>
      getOrCreate(covered, `${widening.rule}\u0000${widening.into}`, () => ({ widening, resources: new Set() })),
    );
    entry.resources.add(access.resource);
    return { ...access, resource: widening.into };
  });
  const generalizations = [...covered.values()]
    .map(
      ({ widening, resources }): Generalization => ({
        rule: widening.rule,
        into: widening.into,
        replaced: resources.size,
        covers: firstInOrder(resources, shownCovers),
        because: widening.because,
      }),
    )
    .sort((a, b) => compareCodePoints(a.into, b.into) || compareCodePoints(a.rule, b.rule));
  return { accesses: out, generalizations };
}
