import { compareCodePoints, sortedUnique } from './collections.js';
import type { ParameterPlan } from './parameterize.js';
import { parameterizeConditionValue, parameterizeResource } from './parameterize.js';
import type { PolicyStatement } from './policy-document.js';
import type { ConditionBlock } from './types.js';

/** One action on one resource pattern under one (merged) condition: the unit statements are built from. */
export interface Grant {
  readonly action: string;
  readonly resource: string;
  readonly condition?: ConditionBlock;
}

export interface StatementOptions {
  /**
   * The IAM catalog's access level of an action (`Read`, `List`, `Write`, `Tagging, Write`,
   * `Permissions management, Write`); statements are split and ordered by it. Unknown actions sort last.
   */
  readonly accessLevelOf?: ((action: string) => string | undefined) | undefined;
  /**
   * Account, region, partition and stage literals to write as references. Environments whose grants differ
   * only by those values merge into one statement.
   */
  readonly parameters?: ParameterPlan | undefined;
}

function parameterizeGrant(grant: Grant, plan: ParameterPlan): Grant {
  const resource = parameterizeResource(grant.resource, plan);
  if (grant.condition === undefined) return { action: grant.action, resource };
  const condition = Object.fromEntries(
    Object.entries(grant.condition).map(([operator, keys]) => [
      operator,
      Object.fromEntries(
        Object.entries(keys).map(([key, values]) => [
          key,
          sortedUnique(values.map((value) => parameterizeConditionValue(value, plan))),
        ]),
      ),
    ]),
  );
  return { action: grant.action, resource, condition };
}

/** Access levels in the order statements are listed, with the word each puts into a Sid. */
const levelOrder = [
  { word: 'Read', matches: (level: string) => level === 'Read' },
  { word: 'List', matches: (level: string) => level === 'List' },
  { word: 'Write', matches: (level: string) => level === 'Write' },
  { word: 'Tag', matches: (level: string) => level.startsWith('Tagging') },
  { word: 'Permissions', matches: (level: string) => level.startsWith('Permissions management') },
] as const;

function levelRank(action: string, options: StatementOptions): number {
  const level = options.accessLevelOf?.(action);
  if (level === undefined) return levelOrder.length;
  const rank = levelOrder.findIndex((entry) => entry.matches(level));
  return rank === -1 ? levelOrder.length : rank;
}

function serviceOf(action: string): string {
  const colon = action.indexOf(':');
  return colon === -1 ? action : action.slice(0, colon);
}

/**
 * Builds statements people can read: one per service, access level, condition and identical resource set,
 * listed by service, then access level (read, list, write, tagging, permissions management), then resources.
 * Sids say what the statement does (`DynamodbReadOrders`) and are unique within the policy.
 */
export function groupStatements(grants: readonly Grant[], options: StatementOptions = {}): PolicyStatement[] {
  // First the resource set of each (action, condition), then actions sharing service, level and resource set.
  const resourcesOf = new Map<string, { action: string; condition?: ConditionBlock; resources: Set<string> }>();
  const plan = options.parameters;
  for (const grant of plan === undefined ? grants : grants.map((g) => parameterizeGrant(g, plan))) {
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
  interface Draft {
    service: string;
    rank: number;
    actions: Set<string>;
    resources: string[];
    condition?: ConditionBlock;
  }
  const drafts = new Map<string, Draft>();
  for (const entry of resourcesOf.values()) {
    const resources = entry.resources.has('*') ? ['*'] : sortedUnique(entry.resources);
    const service = serviceOf(entry.action);
    const rank = levelRank(entry.action, options);
    const condition = entry.condition === undefined ? '' : JSON.stringify(entry.condition);
    const key = [service, rank, resources.join('\u0000'), condition].join('\u0001');
    let draft = drafts.get(key);
    if (draft === undefined) {
      draft =
        entry.condition === undefined
          ? { service, rank, actions: new Set(), resources }
          : { service, rank, actions: new Set(), resources, condition: entry.condition };
      drafts.set(key, draft);
    }
    draft.actions.add(entry.action);
  }
  const ordered = [...drafts.values()]
    .map((d) => ({ ...d, actions: sortedUnique(d.actions) }))
    .sort(
      (a, b) =>
        compareCodePoints(a.service, b.service) ||
        a.rank - b.rank ||
        compareCodePoints(a.resources.join(','), b.resources.join(',')) ||
        compareCodePoints(JSON.stringify(a.condition ?? {}), JSON.stringify(b.condition ?? {})) ||
        compareCodePoints(a.actions.join(','), b.actions.join(',')),
    );
  // A numbered Sid can equal another statement's base (`S3ReadLogs2` for bucket `logs2`): count up past it.
  const taken = new Set<string>();
  return ordered.map((s) => {
    const base = statementSidBase(s.service, s.rank, s.resources);
    let sid = base;
    for (let n = 2; taken.has(sid); n++) sid = `${base}${n}`;
    taken.add(sid);
    const statement: PolicyStatement = {
      Sid: sid,
      Effect: 'Allow',
      Action: s.actions,
      Resource: s.resources,
    };
    return s.condition === undefined ? statement : { ...statement, Condition: s.condition };
  });
}

/** Longest readable resource word kept in a Sid; the rest of a long name adds length, not meaning. */
const maxWordLength = 40;

/** `dynamodb`, Read, `[…:table/orders]` → `DynamodbReadOrders`: service, access level, what it is on. */
function statementSidBase(service: string, rank: number, resources: readonly string[]): string {
  const level = levelOrder[rank]?.word ?? '';
  return `${pascal(service)}${level}${resourcesWord(resources)}`;
}

function resourcesWord(resources: readonly string[]): string {
  const words = [...new Set(resources.map(resourceWord))];
  const [first, second] = words;
  if (first === undefined) return '';
  if (second === undefined) return first;
  if (words.length === 2) return truncate(`${first}And${second}`);
  return truncate(`${first}And${words.length - 1}More`);
}

/** Type keywords that name what an ARN points at when its own name is an opaque id (KMS keys, executions). */
const typeRest = /^([A-Za-z][A-Za-z-]*)[:/](.*)$/;
/** Ids that make no word: UUIDs and hex ids. */
const opaqueId = /^(?:[0-9a-f]{8}-[0-9a-f-]+|[0-9a-f]{12,})$/i;

/**
 * A readable word for one resource: the resource's own name (table, function, bucket, log group's last path
 * segment), its type when the name is an opaque id, `All` for `*`.
 */
function resourceWord(resource: string): string {
  if (resource === '*') return 'All';
  // Parameter references (`${AWS::AccountId}`, `${Stage}`) are not part of the name.
  const plain = resource.replace(/\$\{AWS::[A-Za-z]+\}/g, '');
  const parts = plain.split(':');
  if (parts[0] !== 'arn' || parts.length < 6) return pascal(stripReferences(resource)) || 'Resource';
  const service = parts[2] ?? '';
  const rest = parts.slice(5).join(':');
  let type = '';
  let name = rest;
  if (service === 's3') name = rest.split('/')[0] ?? '';
  else {
    const match = typeRest.exec(rest);
    if (match !== null) {
      type = match[1] ?? '';
      name = match[2] ?? '';
    }
    const segments = (name.split(':')[0] ?? '')
      .split('/')
      .map(clean)
      .filter((segment) => pascal(segment) !== '');
    // A DynamoDB table's indexes and streams, an API's stages and routes, sit under its first segment.
    name = (service === 'dynamodb' || service === 'execute-api' ? segments[0] : segments.at(-1)) ?? '';
    if (service === 'secretsmanager') name = name.replace(/-[A-Za-z0-9]{6}$/, '');
  }
  name = clean(name);
  return truncate(pascal(name) || pascal(type) || pascal(service) || 'Resource');
}

/** A name part without references, wildcards, long numbers (account ids) or opaque ids (UUIDs, hex). */
function clean(part: string): string {
  const text = stripReferences(part)
    .replace(/[*?]/g, '')
    .replace(/\d{6,}/g, '');
  return opaqueId.test(text) ? '' : text;
}

function stripReferences(text: string): string {
  return text.replace(/\$\{[^}]*\}/g, '');
}

/** `orders-api` → `OrdersApi`, `byCustomer` → `ByCustomer`: only Sid characters remain. */
function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function truncate(word: string): string {
  return word.length > maxWordLength ? word.slice(0, maxWordLength) : word;
}
