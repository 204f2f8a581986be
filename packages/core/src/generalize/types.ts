import type { IamCatalog } from '../iam-catalog.js';
import type { Access } from '../types.js';

/**
 * `exact`: only the long-standing rules (log streams, the object-key threshold). `safe`: also resources the
 * principal creates and volatile ids. `broad`: created types go to the type's wildcard at once.
 */
export const generalizeModes = ['exact', 'safe', 'broad'] as const;
export type GeneralizeMode = (typeof generalizeModes)[number];

export type GeneralizationRule =
  | 'log-streams-of-group'
  | 's3-object-prefix'
  | 'lifecycle-prefix'
  | 'lifecycle-type'
  | 'volatile-id'
  | 'fit-prefix'
  | 'fit-type';

export interface Generalization {
  readonly rule: GeneralizationRule;
  /** The pattern granted instead of the observed resources. */
  readonly into: string;
  /** How many observed resources it replaced. */
  readonly replaced: number;
  /** Some of the observed resources it covers (all of them up to `shownCovers`). */
  readonly covers: readonly string[];
  /** Why the rule applied, in a few words. */
  readonly because: string;
}

export interface GeneralizeOptions {
  readonly generalize?: GeneralizeMode;
  /** Distinct object keys under one S3 prefix at which they collapse to `prefix/*`. 0 disables. */
  readonly objectPrefixThreshold: number;
  /** Resolves resource types from ARN templates; without it the ARN's shape is used. */
  readonly catalog?: IamCatalog;
}

export interface RuleResult {
  readonly accesses: Access[];
  readonly generalizations: Generalization[];
}
