import { compareCodePoints, getOrCreate } from '../collections.js';
import type { IamCatalog } from '../iam-catalog.js';
import type { Access } from '../types.js';
import type { Widening } from './replace.js';
import { applyWidenings } from './replace.js';
import type { ResourceName } from './resource-name.js';
import { resourceNameOf, widenable } from './resource-name.js';
import type { GeneralizeMode, RuleResult } from './types.js';
import { sharedPrefix, stablePrefix } from './volatile.js';

/** Verbs whose action, when its noun is the resource's own type, brings a new resource of that type into being. */
const creatingVerb = /^(Create|Put|Run|Start|Copy|Upload|Import|Register|Allocate|Restore)([A-Z][A-Za-z]*)$/;

const word = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
const singular = (text: string) => (text.endsWith('s') ? text.slice(0, -1) : text);

/** Where the principal creates resources of one kind, and by which action (the first in code-point order). */
interface Creation {
  action: string;
  /** Containers (bucket, account and region…) it created in. */
  readonly containers: Set<string>;
  /** The resources it was seen creating. */
  readonly resources: Set<string>;
  /** True when the log did not name the new resource, so any observed container of the kind counts. */
  anywhere: boolean;
}

/**
 * Resource kinds the principal creates: an action named verb + the type's own noun (`lambda:CreateFunction`
 * on a function, `logs:CreateLogGroup` on a log group, `s3:PutObject` on an object, `ec2:RunInstances` on an
 * instance), or whose catalog entry names the type it makes (`createdType`). `PutFunctionConcurrency` on a
 * function is not a creation: its noun is not the type.
 */
export function createdKinds(accesses: readonly Access[], catalog?: IamCatalog): Map<string, Creation> {
  return kindsCreated(accesses, namesOf(accesses, catalog), catalog);
}

/** Each access's resource cut into kind, container and name (`resourceNameOf`), in the order of the accesses. */
function namesOf(accesses: readonly Access[], catalog: IamCatalog | undefined): (ResourceName | undefined)[] {
  return accesses.map((access) => resourceNameOf(access.action, access.resource, catalog));
}

/** What a creating action's name says: its service, the noun after the verb, and the type it makes. */
interface CreatingAction {
  readonly service: string;
  readonly noun: string;
  readonly type: string | undefined;
}

function creatingAction(action: string, catalog: IamCatalog | undefined): CreatingAction | undefined {
  const colon = action.indexOf(':');
  const verb = creatingVerb.exec(action.slice(colon + 1));
  if (verb === null) return undefined;
  const noun = singular(word(verb[2] ?? ''));
  return { service: action.slice(0, colon), noun, type: createdType(action, noun, catalog) };
}

function kindsCreated(
  accesses: readonly Access[],
  names: readonly (ResourceName | undefined)[],
  catalog: IamCatalog | undefined,
): Map<string, Creation> {
  const created = new Map<string, Creation>();
  const note = (kind: string, action: string, container: string | undefined) => {
    const creation = getOrCreate(created, kind, () => ({
      action,
      containers: new Set<string>(),
      resources: new Set<string>(),
      anywhere: false,
    }));
    if (compareCodePoints(action, creation.action) < 0) creation.action = action;
    if (container === undefined) creation.anywhere = true;
    else creation.containers.add(container);
  };
  // A principal that writes many objects repeats a few actions: each action's name is read once.
  const actions = new Map<string, CreatingAction | null>();
  const kindNoun = (kind: string) => singular(word(kind.slice(kind.indexOf(':') + 1)));
  for (let i = 0; i < accesses.length; i++) {
    const access = accesses[i] as Access;
    const creating = getOrCreate(actions, access.action, () => creatingAction(access.action, catalog) ?? null);
    if (creating === null) continue;
    const { service, noun, type } = creating;
    const resource = names[i];
    if (
      resource !== undefined &&
      (kindNoun(resource.kind) === noun || (type !== undefined && resource.kind === `${service}:${type}`))
    ) {
      note(resource.kind, access.action, resource.container);
      created.get(resource.kind)?.resources.add(access.resource);
      continue;
    }
    // A creation is known even when the log did not carry the new resource's id (`ec2:CreateSnapshot` is logged
    // with its volume, `ec2:AllocateAddress` and `kms:CreateKey` on `*`).
    if (type !== undefined) note(`${service}:${type}`, access.action, undefined);
  }
  return created;
}

/**
 * The resource type a creating action makes, from the catalog: the action's type named like the verb's noun, else
 * the service's, else the one type the action accepts request tags for when it is a plain write (tags are given to
 * what a call creates: `ec2:AllocateAddress` makes an `elastic-ip`, whose noun is not "Address"). Tagging actions
 * (`ec2:CreateTags` takes request tags on every type) create nothing.
 */
function createdType(action: string, noun: string, catalog: IamCatalog | undefined): string | undefined {
  const entry = catalog?.actionByQualifiedName(action);
  if (catalog === undefined || entry === undefined) return undefined;
  const sameNoun = (type: string) => singular(word(type)) === noun;
  const named =
    entry.resourceTypes.map((type) => type.name).find(sameNoun) ??
    [...(catalog.service(entry.service)?.resourceTypes.keys() ?? [])].find(sameNoun);
  if (named !== undefined || entry.accessLevel !== 'Write') return named;
  const tagged = entry.resourceTypes.filter((type) => type.taggedOnCreate === true);
  return tagged.length === 1 ? tagged[0]?.name : undefined;
}

/**
 * Lifecycle: the principal creates resources of a kind, so its calls on that kind are about resources it will
 * create again. Each group of names (same kind and container: partition, region, account, parent) becomes the
 * names' shared stable prefix + `*`, or the type's wildcard inside the container when they share nothing.
 * A single name with no volatile part stays exact in `safe` mode.
 */
export function generalizeCreated(accesses: readonly Access[], mode: GeneralizeMode, catalog?: IamCatalog): RuleResult {
  const names = namesOf(accesses, catalog);
  const created = kindsCreated(accesses, names, catalog);
  if (created.size === 0) return { accesses: [...accesses], generalizations: [] };
  // Grouped by kind, container and first path segment, so `thumbs/…` and `previews/…` keep their own folders.
  const groups = new Map<string, { kind: string; container: string; resources: Map<string, string> }>();
  for (let i = 0; i < accesses.length; i++) {
    const access = accesses[i] as Access;
    const named = names[i];
    const creation = named === undefined ? undefined : created.get(named.kind);
    // A bucket the principal only reads from stays exact even when it writes new objects elsewhere.
    if (named === undefined || creation === undefined) continue;
    if (!creation.anywhere && !creation.containers.has(named.container)) continue;
    const group = getOrCreate(groups, `${named.kind}\u0000${named.container}\u0000${firstSegment(named.name)}`, () => ({
      kind: named.kind,
      container: named.container,
      resources: new Map<string, string>(),
    }));
    group.resources.set(access.resource, named.name);
  }
  const widenings = new Map<string, Widening>();
  for (const { kind, container, resources } of groups.values()) {
    const creation = created.get(kind);
    // The pattern follows the names it created; other names of the kind (itself, a resource it only manages)
    // stay exact unless the pattern covers them. Without named creations, every name of the kind counts.
    const made = new Set<string>();
    for (const [arn, name] of resources) if (creation?.resources.has(arn) === true) made.add(name);
    // The prefix does not depend on the names' order: no need to sort what may be a million object keys.
    const basis = [...(made.size > 0 ? made : new Set(resources.values()))];
    // IAM identities and policies never get the whole type (it would reach every admin), nor do bucket names.
    const wildcard = !kind.startsWith('iam:') && widenable(container);
    const prefix = mode === 'broad' && wildcard ? '' : lifecyclePrefix(basis);
    if (prefix === undefined || (prefix === '' && !wildcard)) continue;
    const because = `${kind.replace(':', ' ')} created by ${creation?.action ?? ''} in the window`;
    const widening: Widening =
      prefix === ''
        ? { into: `${container}*`, rule: 'lifecycle-type', because }
        : { into: `${container}${prefix}*`, rule: 'lifecycle-prefix', because };
    for (const [resource, name] of resources) if (name.startsWith(prefix)) widenings.set(resource, widening);
  }
  return applyWidenings(accesses, widenings);
}

/** `thumbs/a.webp` → `thumbs/`; a name without a folder has none. */
function firstSegment(name: string): string {
  const slash = name.indexOf('/', 1);
  return slash === -1 ? '' : name.slice(0, slash + 1);
}

/** The stable part shared by the names; undefined when one stable name should stay exact. */
function lifecyclePrefix(names: readonly string[]): string | undefined {
  const cuts = names.map((name) => stablePrefix(name) ?? name);
  const [only] = names;
  if (names.length === 1) return only === undefined ? undefined : stablePrefix(only);
  return sharedPrefix(cuts);
}
