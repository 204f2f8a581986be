import type { PolicyDocument, PrincipalAnalysis } from '@iamgen/core';
import { splitCommonPolicies } from '@iamgen/core';
import { iamCatalog } from './catalog.js';
import type { PolicySettings, PrincipalPolicy } from './principal-policy.js';
import { renderPolicy } from './principal-policy.js';

export interface CommonMember {
  readonly principal: PrincipalAnalysis;
  readonly result: PrincipalPolicy;
}

export interface CommonOutcome {
  /** Name of the shared policy (`orders-common` for `orders-api`, `orders-worker`). */
  readonly name: string;
  readonly documents: readonly PolicyDocument[];
  readonly statements: number;
  readonly text: string;
  /** Per member, in input order: its remainder policy, rendered, and how many statements it kept. */
  readonly remainders: readonly { readonly text: string; readonly statements: number }[];
}

/** `orders-api`, `orders-worker` → `orders-common`; names sharing nothing → `common`. */
export function commonPolicyName(names: readonly string[]): string {
  const [first = '', ...rest] = names;
  let prefix = first;
  for (const name of rest) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const stem = prefix.replace(/[^A-Za-z0-9]+$/, '');
  return stem === '' ? 'common' : `${stem}-common`;
}

/**
 * `--common`: the statements every member's policy holds become one shared policy attached to all of them,
 * and each member keeps the rest. Each member's observed calls are proved against shared + remainder, as its
 * own policy was; a miss throws (it would be a bug).
 */
export function commonPolicies(members: readonly CommonMember[], settings: PolicySettings): CommonOutcome {
  const catalog = iamCatalog();
  const split = splitCommonPolicies(
    members.map((m) => m.result.shaped.documents),
    settings.policyKind,
    { accessLevelOf: (action) => catalog.actionByQualifiedName(action)?.accessLevel },
  );
  members.forEach((member, i) => {
    member.result.prove([...split.common, ...(split.remainders[i] ?? [])]);
  });
  const stages = [...new Set(settings.stageTokens)].sort();
  const name = commonPolicyName(members.map((m) => m.principal.target.name));
  const count = (documents: readonly PolicyDocument[]) => documents.reduce((n, d) => n + d.Statement.length, 0);
  return {
    name,
    documents: split.common,
    statements: count(split.common),
    text: renderPolicy({ documents: split.common }, settings.format, {
      principalName: name,
      principalKind: members[0]?.principal.target.kind ?? 'role',
      attachTo: members.map((m) => ({ name: m.principal.target.name, kind: m.principal.target.kind })),
      stages,
    }),
    remainders: members.map((member, i) => {
      const documents = split.remainders[i] ?? [];
      return {
        text: renderPolicy({ documents }, settings.format, {
          principalName: member.principal.target.name,
          principalKind: member.principal.target.kind,
          stages,
        }),
        statements: count(documents),
      };
    }),
  };
}
