import { compareCodePoints, getOrCreate, sortedUnique } from './collections.js';
import type { Generalization, GeneralizeOptions } from './generalize/index.js';
import { fitDocuments, generalizeAccesses } from './generalize/index.js';
import type { PolicyKind } from './packing.js';
import { attachableDocuments, packDocuments, policySize, policySizeLimits } from './packing.js';
import type { PolicyDocument } from './policy-document.js';
import type { Grant, StatementOptions } from './statements.js';
import { groupStatements } from './statements.js';
import type { Access } from './types.js';

export interface ShapeOptions extends GeneralizeOptions, StatementOptions {
  readonly policyKind: PolicyKind;
  /** Documents one principal can carry; resources are widened further until the policy fits. */
  readonly maxDocuments?: number;
}

export const defaultShapeOptions: ShapeOptions = { policyKind: 'managed', objectPrefixThreshold: 20 };

export interface ShapedPolicy {
  readonly documents: readonly PolicyDocument[];
  readonly statementCount: number;
  /** Size of each document without whitespace, as IAM counts it. */
  readonly sizes: readonly number[];
  readonly limit: number;
  /** How many documents can be attached, and whether the policy fits that. */
  readonly maxDocuments: number;
  readonly attachable: boolean;
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
  const general = generalizeAccesses(accesses, options);
  const limit = policySizeLimits[options.policyKind];
  const maxDocuments = options.maxDocuments ?? attachableDocuments(options.policyKind);
  const build = (input: readonly Access[]) => {
    const statements = groupStatements(mergeConditions(input).map(withLiteralDollarBrace), options);
    return { built: statements, documents: packDocuments(statements, limit) };
  };
  const fitted = fitDocuments(general.accesses, build, maxDocuments, options.catalog);
  return {
    documents: fitted.documents,
    statementCount: fitted.built.length,
    sizes: fitted.documents.map(policySize),
    limit,
    maxDocuments,
    attachable: fitted.fits,
    generalizations: [...general.generalizations, ...fitted.generalizations],
  };
}

/**
 * IAM reads every `${` in a resource as a policy variable: an observed name holding one (an S3 key
 * `reports/${aws:username}/a.txt`, a template left unexpanded) is written with the `${$}` escape, so the policy
 * grants that very object. Done once, where observed accesses become grants; iamgen's own references come after.
 */
function withLiteralDollarBrace(grant: Grant): Grant {
  return grant.resource.includes('${') ? { ...grant, resource: grant.resource.replaceAll('${', '${$}{') } : grant;
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
