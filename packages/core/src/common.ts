import type { PolicyKind } from './packing.js';
import { packDocuments, policySizeLimits } from './packing.js';
import type { PolicyDocument, PolicyStatement } from './policy-document.js';
import type { Grant, StatementOptions } from './statements.js';
import { groupStatements } from './statements.js';

export interface CommonSplit {
  /** Statements every principal's policy holds: one shared managed policy. */
  readonly common: readonly PolicyStatement[];
  /** Per principal, in input order: what its policy holds beyond the shared one. */
  readonly remainders: readonly (readonly PolicyStatement[])[];
}

function asList(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** A policy's Allow statements as single grants (one action, one resource, the statement's condition). */
function grantsOf(documents: readonly PolicyDocument[]): Map<string, Grant> {
  const grants = new Map<string, Grant>();
  for (const document of documents) {
    for (const statement of document.Statement) {
      if (statement.Effect !== 'Allow') continue;
      const condition = statement.Condition;
      for (const action of asList(statement.Action)) {
        for (const resource of asList(statement.Resource)) {
          const key = `${action}\u0000${resource}\u0000${condition === undefined ? '' : JSON.stringify(condition)}`;
          grants.set(key, condition === undefined ? { action, resource } : { action, resource, condition });
        }
      }
    }
  }
  return grants;
}

/**
 * Splits the policies of a group of principals into what all of them need and a remainder each. The grain is
 * the grant (action, resource pattern, condition) after each policy was shaped, so the union of the shared
 * statements and a principal's remainder allows exactly what that principal's own policy allowed.
 */
export function splitCommonStatements(
  policies: readonly (readonly PolicyDocument[])[],
  options: StatementOptions = {},
): CommonSplit {
  const grantSets = policies.map(grantsOf);
  const [first, ...rest] = grantSets;
  if (first === undefined || rest.length === 0) {
    return { common: [], remainders: grantSets.map((grants) => groupStatements([...grants.values()], options)) };
  }
  const shared = new Set([...first.keys()].filter((key) => rest.every((grants) => grants.has(key))));
  const common = groupStatements(
    [...first].filter(([key]) => shared.has(key)).map(([, grant]) => grant),
    options,
  );
  const remainders = grantSets.map((grants) =>
    groupStatements(
      [...grants].filter(([key]) => !shared.has(key)).map(([, grant]) => grant),
      options,
    ),
  );
  return { common, remainders };
}

export interface CommonPolicies {
  readonly common: readonly PolicyDocument[];
  readonly remainders: readonly (readonly PolicyDocument[])[];
}

/**
 * The shared managed policy and each principal's remainder, packed within the size limit. `options` name
 * access levels only: the policies were parameterized, if at all, when they were shaped.
 */
export function splitCommonPolicies(
  policies: readonly (readonly PolicyDocument[])[],
  policyKind: PolicyKind,
  options: StatementOptions = {},
): CommonPolicies {
  const split = splitCommonStatements(policies, { accessLevelOf: options.accessLevelOf });
  // The shared policy is a managed policy whatever kind the remainders are.
  return {
    common: split.common.length === 0 ? [] : packDocuments(split.common, policySizeLimits.managed),
    remainders: split.remainders.map((statements) => packDocuments(statements, policySizeLimits[policyKind])),
  };
}
