import { compareCodePoints, sortedUnique } from './collections.js';
import type { PolicyStatement } from './policy-document.js';
import type { ConditionBlock } from './types.js';

/** One action on one resource pattern under one (merged) condition: the unit statements are built from. */
export interface Grant {
  readonly action: string;
  readonly resource: string;
  readonly condition?: ConditionBlock;
}

export function groupStatements(grants: readonly Grant[]): PolicyStatement[] {
  // First the resource set of each (action, condition), then actions sharing an identical resource set.
  const resourcesOf = new Map<string, { action: string; condition?: ConditionBlock; resources: Set<string> }>();
  for (const grant of grants) {
    const key = `${grant.action}\u0000${grant.condition === undefined ? '' : JSON.stringify(grant.condition)}`;
    let entry = resourcesOf.get(key);
    if (entry === undefined) {
      entry =
        grant.condition === undefined
          ? { action: grant.action, resources: new Set() }
          : { action: grant.action, condition: grant.condition, resources: new Set() };
      resourcesOf.set(key, entry);
    }
    entry.resources.add(grant.resource);
  }
  const statements = new Map<string, { actions: Set<string>; resources: string[]; condition?: ConditionBlock }>();
  for (const entry of resourcesOf.values()) {
    const resources = entry.resources.has('*') ? ['*'] : sortedUnique(entry.resources);
    const key = `${resources.join('\u0000')}\u0001${entry.condition === undefined ? '' : JSON.stringify(entry.condition)}`;
    let statement = statements.get(key);
    if (statement === undefined) {
      statement =
        entry.condition === undefined
          ? { actions: new Set(), resources }
          : { actions: new Set(), resources, condition: entry.condition };
      statements.set(key, statement);
    }
    statement.actions.add(entry.action);
  }
  const unnamed = [...statements.values()]
    .map((s) => ({ actions: sortedUnique(s.actions), resources: s.resources, condition: s.condition }))
    .sort(
      (a, b) =>
        compareCodePoints(a.actions.join(','), b.actions.join(',')) ||
        compareCodePoints(a.resources.join(','), b.resources.join(',')) ||
        compareCodePoints(JSON.stringify(a.condition ?? {}), JSON.stringify(b.condition ?? {})),
    );
  const used = new Map<string, number>();
  return unnamed.map((s) => {
    const base = statementSidBase(s.actions);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const statement: PolicyStatement = {
      Sid: n === 1 ? base : `${base}${n}`,
      Effect: 'Allow',
      Action: s.actions,
      Resource: s.resources,
    };
    return s.condition === undefined ? statement : { ...statement, Condition: s.condition };
  });
}

/** `["dynamodb:GetItem","s3:GetObject"]` → `DynamodbS3`: readable, and stable for the same actions. */
function statementSidBase(actions: readonly string[]): string {
  const services = sortedUnique(actions.map((a) => a.slice(0, a.indexOf(':'))));
  const words = services.map((s) =>
    s
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join(''),
  );
  const joined = words.length > 3 ? `${words.slice(0, 3).join('')}More` : words.join('');
  return `Allow${joined}`;
}
