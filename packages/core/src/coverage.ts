import { evaluate } from './evaluate/evaluate.js';
import type { PolicyDocument } from './policy-document.js';
import type { Access } from './types.js';

export interface CoverageResult {
  readonly checked: number;
  readonly allowed: number;
  /** Observed accesses the documents would not allow: each one is a bug in iamgen. */
  readonly misses: readonly Access[];
}

/**
 * The coverage proof: every observed authorized access, with the condition context it had, must be allowed
 * by the documents iamgen is about to print.
 */
export function proveCoverage(documents: readonly PolicyDocument[], accesses: readonly Access[]): CoverageResult {
  const misses: Access[] = [];
  for (const access of accesses) {
    const request =
      access.context === undefined
        ? { action: access.action, resource: access.resource }
        : { action: access.action, resource: access.resource, context: access.context };
    if (evaluate(documents, request).decision !== 'allow') misses.push(access);
  }
  return { checked: accesses.length, allowed: accesses.length - misses.length, misses };
}

export function describeAccess(access: Access): string {
  const context = Object.entries(access.context ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  return `${access.action} on ${access.resource}${context === '' ? '' : ` with ${context}`}`;
}
