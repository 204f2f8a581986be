import type { IamCatalog } from '../iam-catalog.js';
import type { PolicyDocument } from '../policy-document.js';
import type { Access } from '../types.js';
import type { Widening } from './replace.js';
import { applyWidenings, widenByPrefix } from './replace.js';
import type { ResourceName } from './resource-name.js';
import type { Generalization, GeneralizationRule } from './types.js';
import { stablePrefix } from './volatile.js';

export interface FittedDocuments<T> {
  readonly built: T;
  readonly documents: readonly PolicyDocument[];
  readonly generalizations: readonly Generalization[];
  /** False when even the type wildcards need more documents than can be attached. */
  readonly fits: boolean;
}

/**
 * Attachability: a principal can carry only so many policies (10 managed by default, one inline). When the
 * exact resources need more documents, resources are widened step by step, each step only if the previous one
 * did not fit: first names that share a stable prefix or a first path segment (`reports/*`), then the type's
 * wildcard inside the observed container (bucket, account and region).
 */
export function fitDocuments<T>(
  accesses: readonly Access[],
  build: (accesses: readonly Access[]) => { built: T; documents: readonly PolicyDocument[] },
  maxDocuments: number,
  catalog?: IamCatalog,
): FittedDocuments<T> {
  let current = build(accesses);
  let input = accesses;
  const generalizations: Generalization[] = [];
  for (const rule of ['fit-prefix', 'fit-type'] as const) {
    if (current.documents.length <= maxDocuments) break;
    const because = `${current.documents.length} documents needed, at most ${maxDocuments} can be attached`;
    const widened = applyWidenings(input, fitWidenings(input, rule, because, catalog));
    if (widened.generalizations.length === 0) continue;
    input = widened.accesses;
    generalizations.push(...widened.generalizations);
    current = build(input);
  }
  return { ...current, generalizations, fits: current.documents.length <= maxDocuments };
}

function fitWidenings(
  accesses: readonly Access[],
  rule: GeneralizationRule,
  because: string,
  catalog?: IamCatalog,
): Map<string, Widening> {
  const prefixOf = (named: ResourceName) => (rule === 'fit-type' ? '' : fitPrefix(named.name));
  return widenByPrefix(accesses, catalog, prefixOf, 2, () => ({ rule, because }));
}

/** The stable prefix of a name, else its first path segment (`reports/`), else nothing to keep. */
function fitPrefix(name: string): string | undefined {
  const stable = stablePrefix(name);
  if (stable !== undefined && stable !== '') return stable;
  const slash = name.indexOf('/');
  return slash > 0 && slash < name.length - 1 ? name.slice(0, slash + 1) : undefined;
}
