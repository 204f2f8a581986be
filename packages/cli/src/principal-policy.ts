import { createRequire } from 'node:module';
import type {
  CoverageResult,
  GeneralizeMode,
  IamCatalog,
  ParameterName,
  ParameterPlan,
  PolicyDocument,
  PrincipalAnalysis,
  PrincipalSelector,
  RenderTarget,
  ShapedPolicy,
  StatementEvidence,
  TrailAnalysis,
} from '@iamgen/core';
import {
  cloudFormationTemplate,
  deployedSizes,
  describeAccess,
  explainStatements,
  parameterNames,
  parameterPlanOf,
  principalPolicy,
  proveCoverage,
  proveParameterizedCoverage,
  renderJson,
  renderTerraform,
} from '@iamgen/core';
import type { CacheStats } from './cache.js';
import { iamCatalog } from './catalog.js';
import { RunFailure, UsageError } from './cli-io.js';
import type { PolicyFormat, PolicyKind } from './option-choices.js';
import type { RunReport } from './report.js';
import { buildReport } from './report.js';
import type { AthenaRunSummary } from './sources/athena-query.js';

/** How policies are made from analyses; the same for every principal of a run. */
export interface PolicySettings {
  readonly format: PolicyFormat;
  readonly includeDenied: boolean;
  readonly policyKind: PolicyKind;
  readonly objectPrefixThreshold: number;
  readonly generalize: GeneralizeMode;
  /** Types resources by the catalog's ARN templates for generalization; without it, by the ARN's shape. */
  readonly catalog?: IamCatalog;
  /** Instance profile ARN → role ARNs, to name the role an `iam:PassRole` for a profile needs. */
  readonly instanceProfiles?: ReadonlyMap<string, readonly string[]>;
  /** Literals to write as references in CloudFormation and Terraform (JSON and YAML keep them, the report names them). */
  readonly parameterize: readonly ParameterName[];
  /** Stage names (`dev`, `prod`) that stand for one `${Stage}` in resource names. */
  readonly stageTokens: readonly string[];
}

/** A repeatable flag whose values may also be comma-separated: the values, trimmed, without empty ones. */
function commaSeparated(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** `--parameterize account,region` (repeatable or comma-separated) → the names, or a usage error. */
export function parseParameterNames(values: readonly string[]): ParameterName[] {
  const names = commaSeparated(values);
  for (const name of names) {
    if (!(parameterNames as readonly string[]).includes(name)) {
      throw new UsageError(`--parameterize takes ${parameterNames.join(', ')}; got ${name}`);
    }
  }
  return [...new Set(names)] as ParameterName[];
}

/** `--stage-token dev,staging,prod` → the tokens, or a usage error for one that is not a plain name. */
export function parseStageTokens(values: readonly string[]): string[] {
  const tokens = commaSeparated(values);
  for (const token of tokens) {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new UsageError(`--stage-token takes names like dev,prod; got ${token}`);
  }
  return [...new Set(tokens)];
}

/** Formats that can hold references; JSON and YAML policy documents are deployed as they are. */
function holdsReferences(format: PolicyFormat): boolean {
  return format === 'cloudformation' || format === 'terraform';
}

/** What the read was, for reports: how many files, the window, whether data events could be in it. */
export interface ReadContext {
  readonly files: number;
  /** How `--cache` served the read. */
  readonly cache?: CacheStats;
  readonly dataEventsPossible: boolean;
  readonly athena?: AthenaRunSummary;
  readonly since?: string;
  readonly until?: string;
}

export interface PrincipalPolicy {
  readonly shaped: ShapedPolicy;
  readonly report: RunReport;
  /** The policy in the asked format, exactly as printed or written. */
  readonly text: string;
  /** Warnings worth one stderr line each. */
  readonly warnings: readonly string[];
  /** Each statement with the observed calls it allows (also in the report). */
  readonly evidence: readonly StatementEvidence[];
  /** The coverage proof of this principal's observed calls against other documents (a shared split). */
  readonly prove: (documents: readonly PolicyDocument[]) => { checked: number; allowed: number };
}

/**
 * One principal's policy from its analysis: shape, prove, render. Throws RunFailure when the principal was not
 * seen or the proof fails; a principal that used no grantable permission gets an empty policy and a warning.
 */
export function policyForPrincipal(
  read: TrailAnalysis,
  principal: PrincipalAnalysis,
  context: ReadContext,
  settings: PolicySettings,
): PrincipalPolicy {
  const target = principal.target;
  const catalog = iamCatalog();
  const asked = settings.parameterize.length > 0 || settings.stageTokens.length > 0;
  const request = { parameters: settings.parameterize, stageTokens: settings.stageTokens };
  const outcome = principalPolicy(principal, {
    includeDenied: settings.includeDenied,
    policyKind: settings.policyKind,
    objectPrefixThreshold: settings.objectPrefixThreshold,
    generalize: settings.generalize,
    ...(settings.catalog === undefined ? {} : { catalog: settings.catalog }),
    ...(settings.instanceProfiles === undefined ? {} : { instanceProfiles: settings.instanceProfiles }),
    accessLevelOf: (action) => catalog.actionByQualifiedName(action)?.accessLevel,
    ...(asked && holdsReferences(settings.format) ? { parameterize: request } : {}),
  });
  if (outcome.status === 'not-seen') throw new RunFailure(unseenPrincipalMessage(target.kind, target.label, read));
  const { shaped, parameters } = outcome;
  const coverage = requireCoverage(target.label, outcome.coverage);
  // What the policy was proved against: the observed calls, escalation grants named, unlogged companions added.
  const granted = outcome.plan.accesses;
  const prove = (documents: readonly PolicyDocument[]) =>
    requireCoverage(
      target.label,
      parameters === undefined
        ? proveCoverage(documents, granted)
        : proveParameterizedCoverage(documents, parameters, granted),
    );
  // JSON and YAML keep the literals; the report still names what each reference would stand for.
  const plan = parameters ?? (asked ? parameterPlanOf(principal, request) : undefined);
  const warnings: string[] = [];
  if (shaped.statementCount === 0) {
    // A true result, not a failure: the principal used no permission that a policy can grant.
    const c = principal.counts;
    warnings.push(
      `${target.label}: none of the ${c.matched} matched events needs a permission that can be granted (denied ${c.denied}, unmapped ${c.unmapped}, needing no permission ${c.matched - c.denied - c.unmapped}); the policy has no statements`,
    );
  }
  const observed = settings.includeDenied
    ? [...principal.granted.entries(), ...principal.deniedAccesses.entries()]
    : principal.granted.entries();
  const evidence = explainStatements(shaped.documents, observed, shaped.generalizations, parameters);
  const report: RunReport = {
    ...buildReport(read, principal, context, shaped),
    coverage,
    unloggedCompanions: outcome.plan.companions,
    grantsToNarrow: outcome.plan.toNarrow,
    dataEventGaps: outcome.dataEventGaps,
    statements: evidence,
    ...(plan === undefined ? {} : { parameters: parametersReport(plan, parameters !== undefined) }),
  };
  const text = renderPolicy(shaped, settings.format, {
    principalName: target.name,
    principalKind: target.kind,
    inline: settings.policyKind !== 'managed',
    ...(plan === undefined ? {} : { stages: plan.values.stage }),
  });
  for (const note of plan?.notes ?? []) warnings.push(note);
  if (parameters !== undefined) {
    deployedSizes(shaped.documents, parameters).forEach((size, i) => {
      if (size > shaped.limit) {
        warnings.push(
          `document ${i + 1} is ${size} characters once deployed in some environment, over the ${shaped.limit}-character limit`,
        );
      }
    });
  }
  return { shaped, report, text, warnings: [...warnings, ...warningLines(report)], evidence, prove };
}

/** What the report says about parameters: the literal values behind each reference, and where they went. */
function parametersReport(plan: ParameterPlan, inPolicy: boolean): NonNullable<RunReport['parameters']> {
  return {
    inPolicy,
    values: Object.fromEntries(Object.entries(plan.values).filter(([, values]) => values.length > 0)),
    stageOfAccount: plan.stageOfAccount,
    notes: plan.notes,
  };
}

/** Why a selected principal (or a glob) has no policy: what was seen instead, and what was skipped. */
export function unseenPrincipalMessage(kind: PrincipalSelector['kind'], label: string, read: TrailAnalysis): string {
  const seen = [...read.principals.values()]
    .filter((p) => p.kind === kind || (kind === 'user' && p.kind === 'federated-user'))
    .sort((a, b) => b.events - a.events);
  const list = seen
    .slice(0, 15)
    .map((p) => `${p.arn} (${p.events})`)
    .join(', ');
  const more = seen.length > 15 ? `, and ${seen.length - 15} more (iamgen roles lists all)` : '';
  const outside = read.counts.outsideWindow;
  const window = outside > 0 ? ` (${outside} events fell outside --since/--until)` : '';
  const skipped = read.counts.prefiltered;
  if (skipped > 0) {
    return `${label} not seen in the logs${window} (${skipped} records were skipped unparsed: their text does not name it); iamgen roles lists the principals seen`;
  }
  return seen.length === 0
    ? `${label} not seen in the logs${window}; no ${kind}s were seen at all`
    : `${label} not seen in the logs${window}; ${kind}s seen: ${list}${more}`;
}

const requireModule = createRequire(import.meta.url);

/**
 * YAML output; the library is loaded by the formats that print it (most runs print JSON). Strings are quoted for
 * YAML 1.1 readers too (PyYAML, many CloudFormation tools), which would read `2012-10-17` as a date and a role
 * named `yes` as true.
 */
function toYaml(value: unknown): string {
  return (requireModule('yaml') as typeof import('yaml')).stringify(value, { lineWidth: 0, version: '1.1' });
}

export function renderPolicy(
  shaped: Pick<ShapedPolicy, 'documents'>,
  format: PolicyFormat,
  target: RenderTarget,
): string {
  const single: PolicyDocument | readonly PolicyDocument[] =
    shaped.documents.length === 1 && shaped.documents[0] !== undefined ? shaped.documents[0] : shaped.documents;
  switch (format) {
    case 'json':
      return renderJson(single);
    case 'yaml':
      return toYaml(single);
    case 'terraform':
      return renderTerraform(shaped.documents, target);
    case 'cloudformation':
      return toYaml(cloudFormationTemplate(shaped.documents, target));
  }
}

function warningLines(report: RunReport): string[] {
  const lines: string[] = [];
  for (const c of report.unloggedCompanions ?? [])
    lines.push(
      `added ${c.action} on ${c.resources} resource${c.resources === 1 ? '' : 's'}: CloudTrail does not log it, and ${c.logged} implies it`,
    );
  for (const g of report.grantsToNarrow ?? [])
    lines.push(`${g.action} granted on ${g.resource} (${g.observed}): a person must narrow it`);
  const gaps = report.dataEventGaps ?? [];
  if (gaps.length > 0)
    lines.push(
      `no data events for ${gaps.map((g) => g.service).join(', ')}: the policy may lack ${gaps.map((g) => g.missing).join('; ')}`,
    );
  if (report.policy?.attachable === false) {
    lines.push(
      `policy needs ${report.policy.documents} documents, more than the ${report.policy.maxDocuments} that can be attached to one principal, even with resources widened to their type`,
    );
  }
  for (const g of report.generalizations) {
    lines.push(`generalized ${g.into} (${g.rule}): covers ${g.replaced} observed, ${g.because}`);
  }
  if (report.policy?.split === true) {
    lines.push(
      `policy is over the ${report.policy.limit}-character limit; split into ${report.policy.documents} documents (sizes ${report.policy.sizes.join(', ')})`,
    );
  }
  if (report.unmapped.length > 0) {
    const pairs = report.unmapped
      .slice(0, 5)
      .map((u) => `${u.eventSource.replace(/\.amazonaws\.com$/, '')}:${u.eventName} (${u.count})`)
      .join(', ');
    lines.push(
      `${report.counts.unmapped} events not mapped to an IAM action: ${pairs}${report.unmapped.length > 5 ? ', …' : ''}`,
    );
  }
  if (report.counts.denied > 0) {
    lines.push(`${report.counts.denied} denied calls were not granted (--include-denied grants them)`);
  }
  const narrowed = new Set((report.grantsToNarrow ?? []).map((g) => g.action));
  const unknown = report.resourceUnknown.filter((r) => !narrowed.has(r.action));
  if (unknown.length > 0) {
    const actions = unknown.map((r) => r.action);
    const more = actions.length > 8 ? `, and ${actions.length - 8} more (see --report)` : '';
    lines.push(`resource unknown, granted on "*": ${actions.slice(0, 8).join(', ')}${more}`);
  }
  return lines;
}

/**
 * The coverage proof's verdict: the documents must allow every authorized access that was observed, with its
 * context. A miss is a bug in iamgen, so the principal fails naming it and no policy is written for it.
 */
export function requireCoverage(label: string, result: CoverageResult): { checked: number; allowed: number } {
  if (result.misses.length > 0) {
    const named = result.misses.slice(0, 5).map(describeAccess).join('; ');
    const more = result.misses.length > 5 ? ` and ${result.misses.length - 5} more` : '';
    throw new RunFailure(
      `${label}: coverage proof failed: the generated policy does not allow ${result.misses.length} of ${result.checked} observed accesses: ${named}${more}`,
    );
  }
  return { checked: result.checked, allowed: result.allowed };
}
