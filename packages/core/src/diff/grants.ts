import { wildcardMatch } from '../evaluate/wildcard.js';
import type { IamCatalog } from '../iam-catalog.js';
import { qualifiedName } from '../iam-catalog.js';
import type { PolicyDocument, PolicyStatement } from '../policy-document.js';

/** One (action, resource pattern) a policy allows; `conditional` when a Condition narrows it. */
export interface Grant {
  readonly action: string;
  readonly resource: string;
  readonly conditional: boolean;
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
 * the catalog, `NotResource` read as `*` (noted by the caller), unconditional Deny statements subtracted.
 */
export function expandGrants(documents: readonly PolicyDocument[], catalog: IamCatalog): Grant[] {
  const all = allCatalogActions(catalog);
  const grants = new Map<string, Grant>();
  const denies: { actions: Set<string>; resources: readonly string[] }[] = [];
  for (const document of documents) {
    for (const statement of statementsOf(document)) {
      const actions = actionsOf(statement, all);
      const resources = statement.Resource !== undefined ? asList(statement.Resource) : ['*'];
      if (statement.Effect === 'Deny') {
        if (statement.Condition === undefined) denies.push({ actions: new Set(actions), resources });
        continue;
      }
      if (statement.Effect !== 'Allow') continue;
      for (const action of actions) {
        for (const resource of resources) {
          const key = `${action}\u0000${resource}`;
          const existing = grants.get(key);
          const conditional = statement.Condition !== undefined;
          if (existing === undefined || (existing.conditional && !conditional))
            grants.set(key, { action, resource, conditional });
        }
      }
    }
  }
  return [...grants.values()].filter(
    (grant) =>
      !denies.some(
        (deny) =>
          deny.actions.has(grant.action) && deny.resources.some((r) => r === '*' || wildcardMatch(r, grant.resource)),
      ),
  );
}

/** Whether `grant` is inside what `grants` allow: same action, and a resource pattern that covers it. */
export function isCovered(grant: Grant, index: ReadonlyMap<string, readonly Grant[]>): boolean {
  return (index.get(grant.action.toLowerCase()) ?? []).some(
    (other) => other.resource === '*' || (grant.resource !== '*' && wildcardMatch(other.resource, grant.resource)),
  );
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
