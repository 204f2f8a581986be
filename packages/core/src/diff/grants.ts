import { wildcardMatch } from '../evaluate/wildcard.js';
import type { IamCatalog } from '../iam-catalog.js';
import { qualifiedName } from '../iam-catalog.js';
import type { PolicyDocument, PolicyStatement } from '../policy-document.js';

/** One (action, resource pattern) a policy allows; `conditional` when a Condition narrows it. */
export interface Grant {
  readonly action: string;
  readonly resource: string;
  readonly conditional: boolean;
  /** The Condition, as JSON, when there is one: a grant covers another only under the same condition or none. */
  readonly condition?: string;
  /** From `NotResource`: every resource (`resource` is `*`) except these patterns. */
  readonly except?: readonly string[];
}

/** An unconditional Deny: of its actions, on these resources, or on all but `except`. */
export interface DenyRule {
  readonly actions: ReadonlySet<string>;
  readonly resources?: readonly string[];
  readonly except?: readonly string[];
}

/** What a set of policies allows and (without conditions) denies. */
export interface ExpandedPolicy {
  readonly grants: readonly Grant[];
  readonly denies: readonly DenyRule[];
}

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

function statementsOf(document: PolicyDocument): readonly PolicyStatement[] {
  const statements: unknown = document.Statement;
  return Array.isArray(statements) ? (statements as PolicyStatement[]) : [statements as PolicyStatement];
}

/** Catalog actions a statement's Action/NotAction covers, in catalog casing. */
function actionsOf(statement: PolicyStatement, allActions: readonly string[]): string[] {
  if (statement.Action !== undefined) {
    const patterns = asList(statement.Action);
    return allActions.filter((action) => patterns.some((p) => wildcardMatch(p, action, true)));
  }
  const excluded = asList(statement.NotAction);
  return allActions.filter((action) => !excluded.some((p) => wildcardMatch(p, action, true)));
}

/** Every catalog action as `prefix:Name`, computed once per catalog. */
const actionLists = new WeakMap<IamCatalog, string[]>();
export function allCatalogActions(catalog: IamCatalog): readonly string[] {
  let list = actionLists.get(catalog);
  if (list === undefined) {
    list = catalog
      .servicePrefixes()
      .flatMap((prefix) => [...(catalog.service(prefix)?.actions.values() ?? [])].map(qualifiedName));
    actionLists.set(catalog, list);
  }
  return list;
}

/**
 * What a set of identity policies grants, at the (action, resource) grain: `*` and `service:*` expanded against
 * the catalog, `NotResource` as `*` with its exceptions, grants an unconditional Deny covers wholly removed, and
 * the unconditional Deny rules kept to judge what they deny in part.
 */
export function expandPolicy(documents: readonly PolicyDocument[], catalog: IamCatalog): ExpandedPolicy {
  const all = allCatalogActions(catalog);
  const grants = new Map<string, Grant>();
  const denies: DenyRule[] = [];
  for (const document of documents) {
    for (const statement of statementsOf(document)) {
      const actions = actionsOf(statement, all);
      const except = statement.NotResource === undefined ? undefined : asList(statement.NotResource);
      const resources = statement.Resource !== undefined ? asList(statement.Resource) : ['*'];
      if (statement.Effect === 'Deny') {
        if (statement.Condition === undefined)
          denies.push(
            except === undefined ? { actions: new Set(actions), resources } : { actions: new Set(actions), except },
          );
        continue;
      }
      if (statement.Effect !== 'Allow') continue;
      const condition = statement.Condition === undefined ? undefined : JSON.stringify(statement.Condition);
      for (const action of actions) {
        for (const resource of except === undefined ? resources : ['*']) {
          const grant: Grant = {
            action,
            resource,
            conditional: condition !== undefined,
            ...(condition === undefined ? {} : { condition }),
            ...(except === undefined ? {} : { except }),
          };
          const key = `${action}\u0000${resource}\u0000${condition ?? ''}\u0000${except?.join('\u0000') ?? ''}`;
          grants.set(key, grant);
        }
      }
    }
  }
  // A conditional grant beside the same grant without condition adds nothing: counted once, as the latter.
  const unconditional = new Set(
    [...grants.values()].filter((g) => !g.conditional).map((g) => `${g.action}\u0000${g.resource}\u0000${g.except}`),
  );
  const distinct = [...grants.values()].filter(
    (g) => !g.conditional || !unconditional.has(`${g.action}\u0000${g.resource}\u0000${g.except}`),
  );
  return { grants: distinct.filter((grant) => !denies.some((deny) => deniesAll(deny, grant))), denies };
}

/** What a set of identity policies grants (`expandPolicy` without its Deny rules). */
export function expandGrants(documents: readonly PolicyDocument[], catalog: IamCatalog): Grant[] {
  return [...expandPolicy(documents, catalog).grants];
}

function deniesAll(deny: DenyRule, grant: Grant): boolean {
  if (!deny.actions.has(grant.action)) return false;
  if (deny.except !== undefined) return !deny.except.some((pattern) => patternsOverlap(pattern, grant.resource));
  return (deny.resources ?? []).some((pattern) => patternCovers(pattern, grant.resource));
}

function deniesSome(deny: DenyRule, grant: Grant): boolean {
  if (!deny.actions.has(grant.action)) return false;
  if (deny.except !== undefined) return !deny.except.some((pattern) => patternCovers(pattern, grant.resource));
  return (deny.resources ?? []).some((pattern) => patternsOverlap(pattern, grant.resource));
}

/**
 * Whether `grant` is inside what a policy allows: a grant of the same action whose resource pattern covers it (and
 * whose exceptions leave it whole), under no condition or the same one, and no Deny of the policy taking any of it.
 */
export function isCovered(
  grant: Grant,
  index: ReadonlyMap<string, readonly Grant[]>,
  denies: readonly DenyRule[] = [],
  ownDenies: readonly DenyRule[] = [],
): boolean {
  const allowed = (index.get(grant.action.toLowerCase()) ?? []).some(
    (other) =>
      (other.condition === undefined || other.condition === grant.condition) &&
      patternCovers(other.resource, grant.resource) &&
      !(other.except ?? []).some((pattern) => patternsOverlap(pattern, grant.resource)),
  );
  // A part the other policy denies is outside it, unless the grant's own policy denies that part as well.
  return (
    allowed && !denies.some((deny) => deniesSome(deny, grant) && !ownDenies.some((own) => sameDeny(own, deny, grant)))
  );
}

function sameDeny(own: DenyRule, deny: DenyRule, grant: Grant): boolean {
  return (
    own.actions.has(grant.action) &&
    JSON.stringify(own.resources ?? null) === JSON.stringify(deny.resources ?? null) &&
    JSON.stringify(own.except ?? null) === JSON.stringify(deny.except ?? null)
  );
}

/** Whether some grant of the same action shares any resource with `grant`. */
export function overlapsAny(grant: Grant, index: ReadonlyMap<string, readonly Grant[]>): boolean {
  return (index.get(grant.action.toLowerCase()) ?? []).some((other) => patternsOverlap(other.resource, grant.resource));
}

/**
 * Whether every resource `inner` matches is matched by `outer` (IAM wildcards: `*` any run, `?` one character). A
 * `*` of `inner` can only be taken by a `*` of `outer`, and its `?` by a `?` or `*`.
 */
export function patternCovers(outer: string, inner: string): boolean {
  if (outer === '*') return true;
  const memo = new Map<number, boolean>();
  const covers = (i: number, j: number): boolean => {
    const key = i * (inner.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === outer.length) result = j === inner.length;
    else if (outer[i] === '*') result = covers(i + 1, j) || (j < inner.length && covers(i, j + 1));
    else if (j === inner.length || inner[j] === '*') result = false;
    else if (outer[i] === '?') result = covers(i + 1, j + 1);
    else result = inner[j] === outer[i] && covers(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return covers(0, 0);
}

/** Whether some resource is matched by both patterns. */
export function patternsOverlap(a: string, b: string): boolean {
  if (a === '*' || b === '*') return true;
  const memo = new Map<number, boolean>();
  const overlap = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && a[i] === '*') result = overlap(i + 1, j) || (j < b.length && overlap(i, j + 1));
    else if (j < b.length && b[j] === '*') result = overlap(i, j + 1) || (i < a.length && overlap(i + 1, j));
    else if (i === a.length || j === b.length) result = false;
    else result = (a[i] === '?' || b[j] === '?' || a[i] === b[j]) && overlap(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return overlap(0, 0);
}

export function indexByAction(grants: readonly Grant[]): Map<string, Grant[]> {
  const index = new Map<string, Grant[]>();
  for (const grant of grants) {
    const key = grant.action.toLowerCase();
    const list = index.get(key);
    if (list === undefined) index.set(key, [grant]);
    else list.push(grant);
  }
  return index;
}
