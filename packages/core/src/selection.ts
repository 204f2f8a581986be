import type { Principal, PrincipalSelector } from './attribute.js';
import { isServiceLinkedRole, principalName, selectorMatches } from './attribute.js';
import { wildcardMatch } from './evaluate/index.js';

/**
 * Whose activity one read maps: named roles and users (a name, an ARN, or a glob with `*`/`?` on either),
 * and/or every role and user seen. A record feeds each principal it belongs to; the read happens once.
 */
export interface PrincipalSelection {
  readonly selectors: readonly PrincipalSelector[];
  /** Every role and IAM user seen, except service-linked roles and AWS service principals. */
  readonly all: boolean;
}

export const emptySelection: PrincipalSelection = { selectors: [], all: false };

export function isGlob(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** Why `--all` leaves a principal out; undefined when it is a role or user that holds its own permissions. */
export function exclusionFromAll(principal: Principal): string | undefined {
  switch (principal.kind) {
    case 'role':
      return isServiceLinkedRole(principal.arn) ? 'service-linked role' : undefined;
    case 'user':
    case 'federated-user':
      return undefined;
    case 'service':
      return 'AWS service principal';
    case 'root':
      return 'root user';
    case 'unknown':
      return 'unidentified principal';
  }
}

function globMatches(selector: PrincipalSelector, principal: Principal): boolean {
  const kinds = selector.kind === 'role' ? ['role'] : ['user', 'federated-user'];
  if (!kinds.includes(principal.kind)) return false;
  return selector.value.startsWith('arn:')
    ? wildcardMatch(selector.value, principal.arn)
    : wildcardMatch(selector.value, principalName(principal.arn));
}

/**
 * The analyses a principal's records feed, each once however often it was asked for. A plain name or ARN is one
 * analysis however many accounts it matches (as a single-principal run has always been); globs and `--all` give
 * one analysis per principal: per role or user name and account, since a name is unique in its account and a
 * record without session context names its role without the path.
 */
export function targetsOf(selection: PrincipalSelection, principal: Principal): PrincipalTarget[] {
  const targets = new Map<string, PrincipalTarget>();
  for (const selector of selection.selectors) {
    if (!isGlob(selector.value) && selectorMatches(selector, principal)) {
      const target = selectorTarget(selector);
      targets.set(target.key, target);
    }
  }
  if (targets.size > 0) return [...targets.values()];
  const byGlob = selection.selectors.find((s) => isGlob(s.value) && globMatches(s, principal));
  if (byGlob !== undefined || (selection.all && exclusionFromAll(principal) === undefined)) {
    const kind = principal.kind === 'role' ? 'role' : 'user';
    const key = pathlessArn(principal.arn, kind);
    return [{ key, kind, label: `${kind} ${key}`, name: principalName(principal.arn) }];
  }
  return [];
}

/**
 * The globs of the selection that matched no principal of the read, given the ARNs each analysis matched: a typo
 * in one selector of a nightly job must be a finding, not a missing file nobody notices.
 */
export function unmatchedGlobs(
  selection: PrincipalSelection,
  matchedArns: Iterable<string>,
): readonly PrincipalSelector[] {
  const principals = [...new Set(matchedArns)].map((arn): Principal => ({ arn, kind: selectedKindOf(arn) }));
  return selection.selectors.filter((s) => isGlob(s.value) && !principals.some((p) => globMatches(s, p)));
}

/** The kind of a principal a role or user selector matched, from its ARN. */
function selectedKindOf(arn: string): 'role' | 'user' | 'federated-user' {
  if (/^arn:[^:]+:sts::[^:]*:federated-user\//.test(arn)) return 'federated-user';
  return /^arn:[^:]+:iam::[^:]*:user\//.test(arn) ? 'user' : 'role';
}

/** `arn:aws:iam::1:role/team/app` → `arn:aws:iam::1:role/app`; other ARNs (federated sessions) stay as they are. */
function pathlessArn(arn: string, kind: 'role' | 'user'): string {
  const match = /^arn:([^:]+):iam::([^:]*):(role|user)\//.exec(arn);
  return match ? `arn:${match[1]}:iam::${match[2]}:${kind}/${principalName(arn)}` : arn;
}

export interface PrincipalTarget {
  /** Stable identity of the analysis: `role:NAME`/`user:ARN` for named selectors, the principal ARN otherwise. */
  readonly key: string;
  readonly kind: 'role' | 'user';
  /** How messages name it: `role orders-api-handler`. */
  readonly label: string;
  /** Path-free name, for file names and IaC resource names. */
  readonly name: string;
}

export function selectorTarget(selector: PrincipalSelector): PrincipalTarget {
  return {
    key: `${selector.kind}:${selector.value}`,
    kind: selector.kind,
    label: `${selector.kind} ${selector.value}`,
    name: selector.value.startsWith('arn:') ? principalName(selector.value) : selector.value,
  };
}

/**
 * Strings at least one of which occurs in the raw JSON text of every record that can belong to the selection,
 * or undefined when any record may (`--all`, a bare `*`). Every principal ARN ends in `/<name>`, followed by `"`
 * (role, user and issuer ARNs) or `/` (`assumed-role/<name>/<session>`); JSON may write `/` as `\/`, which ends
 * in `/` as well, and a record with `\u` escapes is always a candidate. The test is a necessary condition only:
 * candidates are parsed and matched exactly.
 */
export function prefilterNeedles(selection: PrincipalSelection): PrefilterNeedles | undefined {
  if (selection.all || selection.selectors.length === 0) return undefined;
  const coarse = new Set<string>();
  const fine = new Set<string>();
  for (const selector of selection.selectors) {
    const name = selector.value.startsWith('arn:') ? arnNamePart(selector.value) : selector.value;
    const literal = literalPrefix(name);
    if (literal === undefined) return undefined;
    coarse.add(`/${literal.text}`);
    if (literal.complete) {
      fine.add(`/${literal.text}"`);
      fine.add(`/${literal.text}/`);
      fine.add(`/${literal.text}\\/`);
    } else fine.add(`/${literal.text}`);
  }
  // Escapes last: a file that names the principal is known after a short search, not a scan for a rare sequence.
  return { coarse: [...coarse, '\\u'], fine: [...fine, '\\u'] };
}

/**
 * What to look for in raw text: `coarse` strings (fewer, each a prefix of some fine one) to pass over whole files
 * quickly, `fine` ones to tell records apart precisely. A text without any coarse string has no fine one either.
 */
export interface PrefilterNeedles {
  readonly coarse: readonly string[];
  readonly fine: readonly string[];
}

/**
 * The name after the last `/` of an ARN pattern. A glob before that slash may stand for any part of the ARN
 * (`arn:aws:iam::*:ro*` matches `…:role/app`), and a pattern without a slash has no name to look for: no filter.
 */
function arnNamePart(arn: string): string {
  const slash = arn.lastIndexOf('/');
  return slash === -1 || isGlob(arn.slice(0, slash)) ? '*' : arn.slice(slash + 1);
}

/** `orders-*` → `orders-` (incomplete); `app` → complete; `*x` → undefined (nothing literal to look for first). */
function literalPrefix(pattern: string): { text: string; complete: boolean } | undefined {
  const cut = pattern.search(/[*?]/);
  if (cut === -1) return pattern === '' ? undefined : { text: pattern, complete: true };
  return cut === 0 ? undefined : { text: pattern.slice(0, cut), complete: false };
}

/**
 * Whether a record's raw text (a string, or its UTF-8 bytes) passes the prefilter: the coarse test first, the fine
 * one only where it passed.
 */
export function mayBelongToSelection(
  text: { includes(needle: string): boolean },
  needles: PrefilterNeedles | undefined,
): boolean {
  if (needles === undefined) return true;
  if (!needles.coarse.some((needle) => text.includes(needle))) return false;
  return needles.fine.some((needle) => text.includes(needle));
}
