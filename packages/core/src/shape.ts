import { compareCodePoints, getOrCreate, sortedUnique } from './collections.js';
import type { PolicyDocument, PolicyStatement } from './policy-document.js';
import type { Grant, StatementOptions } from './statements.js';
import { groupStatements } from './statements.js';
import type { Access } from './types.js';

/** Character limits IAM applies to policy documents, counted without whitespace. */
export const policySizeLimits = {
  managed: 6144,
  'role-inline': 10240,
  'user-inline': 2048,
} as const;

export type PolicyKind = keyof typeof policySizeLimits;

export interface ShapeOptions extends StatementOptions {
  readonly policyKind: PolicyKind;
  /** Distinct object keys under one S3 prefix at which they collapse to `prefix/*`. 0 disables. */
  readonly objectPrefixThreshold: number;
}

export const defaultShapeOptions: ShapeOptions = { policyKind: 'managed', objectPrefixThreshold: 20 };

export interface Generalization {
  readonly rule: 's3-object-prefix' | 'log-streams-of-group';
  readonly into: string;
  readonly replaced: number;
}

export interface ShapedPolicy {
  readonly documents: readonly PolicyDocument[];
  readonly statementCount: number;
  /** Size of each document without whitespace, as IAM counts it. */
  readonly sizes: readonly number[];
  readonly limit: number;
  readonly generalizations: readonly Generalization[];
}

/** Condition context keys and the operator iamgen writes for them. */
const conditionOperators: Readonly<Record<string, string>> = {
  'kms:ViaService': 'StringEquals',
  'iam:PassedToService': 'StringEquals',
  'aws:RequestedRegion': 'StringEquals',
};

/**
 * Turns observed accesses into policy documents: generalize by explicit rules, merge condition values,
 * group actions that share a resource set, sort everything, name statements stably, split over the size limit.
 */
export function shapePolicy(accesses: readonly Access[], options: ShapeOptions = defaultShapeOptions): ShapedPolicy {
  const streams = generalizeLogStreams(accesses);
  const objects = generalizeObjectKeys(streams.accesses, options.objectPrefixThreshold);
  const generalized = objects.accesses;
  const generalizations = [...streams.generalizations, ...objects.generalizations];
  const grants = mergeConditions(generalized);
  const statements = groupStatements(grants, options);
  const limit = policySizeLimits[options.policyKind];
  const documents = packDocuments(statements, limit);
  return {
    documents,
    statementCount: statements.length,
    sizes: documents.map(policySize),
    limit,
    generalizations,
  };
}

/** IAM's way of counting a policy's size: the JSON without whitespace. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).length;
}

const logStreamArn = /^(arn:[^:]+:logs:[^:]*:[^:]*:log-group:[^:]+):log-stream:.+$/;

/**
 * Log stream names are made anew (Lambda starts one per execution environment), so a grant on the streams
 * seen would fail tomorrow: stream ARNs become `log-group:<name>:*`, the group's streams and nothing else.
 */
function generalizeLogStreams(accesses: readonly Access[]): { accesses: Access[]; generalizations: Generalization[] } {
  const replaced = new Map<string, Set<string>>();
  const out = accesses.map((access) => {
    const match = logStreamArn.exec(access.resource);
    if (!match) return access;
    const into = `${match[1]}:*`;
    getOrCreate(replaced, into, () => new Set<string>()).add(access.resource);
    return { ...access, resource: into };
  });
  const generalizations = [...replaced]
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([into, streams]): Generalization => ({ rule: 'log-streams-of-group', into, replaced: streams.size }));
  return { accesses: out, generalizations };
}

const s3ObjectArn = /^(arn:[^:]+:s3:::[^/]+)\/(.+)$/;

function generalizeObjectKeys(
  accesses: readonly Access[],
  threshold: number,
): { accesses: Access[]; generalizations: Generalization[] } {
  if (threshold <= 0) return { accesses: [...accesses], generalizations: [] };
  const keysByPrefix = new Map<string, Set<string>>();
  for (const access of accesses) {
    const prefix = objectPrefix(access.resource);
    if (prefix === undefined) continue;
    getOrCreate(keysByPrefix, prefix, () => new Set<string>()).add(access.resource);
  }
  const collapsed = new Map<string, string>();
  const generalizations: Generalization[] = [];
  for (const [prefix, keys] of [...keysByPrefix].sort(([a], [b]) => compareCodePoints(a, b))) {
    if (keys.size < threshold) continue;
    const into = `${prefix}*`;
    generalizations.push({ rule: 's3-object-prefix', into, replaced: keys.size });
    for (const key of keys) collapsed.set(key, into);
  }
  return {
    accesses: accesses.map((access) => {
      const into = collapsed.get(access.resource);
      return into === undefined ? access : { ...access, resource: into };
    }),
    generalizations,
  };
}

/** `arn:aws:s3:::b/uploads/2024/x.png` → `arn:aws:s3:::b/uploads/2024/`; undefined for non-object ARNs. */
function objectPrefix(resource: string): string | undefined {
  const match = s3ObjectArn.exec(resource);
  if (!match || resource.includes('*')) return undefined;
  const key = match[2] ?? '';
  const slash = key.lastIndexOf('/');
  return `${match[1]}/${slash === -1 ? '' : key.slice(0, slash + 1)}`;
}

function mergeConditions(accesses: readonly Access[]): Grant[] {
  // action+resource → (context key set → values per key); an unconditional use makes conditions moot.
  const byTarget = new Map<
    string,
    { action: string; resource: string; unconditional: boolean; variants: Map<string, Map<string, Set<string>>> }
  >();
  for (const access of accesses) {
    const target = `${access.action}\u0000${access.resource}`;
    let entry = byTarget.get(target);
    if (entry === undefined) {
      entry = { action: access.action, resource: access.resource, unconditional: false, variants: new Map() };
      byTarget.set(target, entry);
    }
    const context = Object.entries(access.context ?? {}).filter(([key]) => key in conditionOperators);
    if (context.length === 0) {
      entry.unconditional = true;
      continue;
    }
    const variantKey = context
      .map(([key]) => key)
      .sort()
      .join(',');
    const variant = getOrCreate(entry.variants, variantKey, () => new Map<string, Set<string>>());
    for (const [key, value] of context) getOrCreate(variant, key, () => new Set<string>()).add(value);
  }
  const grants: Grant[] = [];
  for (const entry of byTarget.values()) {
    if (entry.unconditional) {
      grants.push({ action: entry.action, resource: entry.resource });
      continue;
    }
    for (const variant of entry.variants.values()) {
      const condition: Record<string, Record<string, string[]>> = {};
      for (const [key, values] of [...variant].sort(([a], [b]) => compareCodePoints(a, b))) {
        const operator = conditionOperators[key] ?? 'StringEquals';
        condition[operator] ??= {};
        condition[operator][key] = sortedUnique(values);
      }
      grants.push({ action: entry.action, resource: entry.resource, condition });
    }
  }
  return grants;
}

export function packDocuments(statements: readonly PolicyStatement[], limit: number): PolicyDocument[] {
  const emptySize = policySize({ Version: '2012-10-17', Statement: [] });
  const single: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  if (policySize(single) <= limit) return [single];
  // First-fit decreasing by statement size, after cutting statements that alone exceed the limit.
  const pieces = statements.flatMap((statement) => splitStatement(statement, limit - emptySize));
  const sized = pieces.map((statement, order) => ({
    statement,
    order,
    size: JSON.stringify(statement).length + 1,
  }));
  const bins: { size: number; items: typeof sized }[] = [];
  for (const item of [...sized].sort((a, b) => b.size - a.size || a.order - b.order)) {
    const bin = bins.find((b) => b.size + item.size <= limit);
    if (bin === undefined) bins.push({ size: emptySize + item.size, items: [item] });
    else {
      bin.size += item.size;
      bin.items.push(item);
    }
  }
  return bins.map((bin) => ({
    Version: '2012-10-17',
    Statement: [...bin.items].sort((a, b) => a.order - b.order).map((item) => item.statement),
  }));
}

/**
 * Cuts a statement too big for one document into statements over parts of its resource list (or, for `*`,
 * of its action list). Each part keeps the actions, condition and a numbered Sid.
 */
function splitStatement(statement: PolicyStatement, room: number): PolicyStatement[] {
  if (JSON.stringify(statement).length + 1 <= room) return [statement];
  const resources = asList(statement.Resource);
  const actions = asList(statement.Action);
  const field = resources.length > 1 ? 'Resource' : 'Action';
  const values = field === 'Resource' ? resources : actions;
  if (values.length <= 1) return [statement];
  const fixed = JSON.stringify({ ...statement, Sid: `${statement.Sid ?? ''}99`, [field]: [] }).length + 1;
  const parts: string[][] = [[]];
  let used = fixed;
  for (const value of values) {
    const cost = JSON.stringify(value).length + 1;
    const current = parts[parts.length - 1] ?? [];
    if (current.length > 0 && used + cost > room) {
      parts.push([value]);
      used = fixed + cost;
    } else {
      current.push(value);
      used += cost;
    }
  }
  return parts.map((part, i) => ({
    ...statement,
    Sid: `${statement.Sid ?? 'Allow'}${i === 0 ? '' : `Part${i + 1}`}`,
    [field]: part,
  }));
}

function asList(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}
