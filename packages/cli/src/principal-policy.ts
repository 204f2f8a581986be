import type {
  Access,
  IamCatalog,
  PolicyDocument,
  PrincipalAnalysis,
  PrincipalSelector,
  ShapedPolicy,
  TrailAnalysis,
} from '@iamgen/core';
import {
  cloudFormationTemplate,
  describeAccess,
  proveCoverage,
  renderJson,
  renderTerraform,
  shapePolicy,
} from '@iamgen/core';
import { stringify as toYaml } from 'yaml';
import { RunFailure } from './cli-io.js';
import type { RunReport } from './report.js';
import { buildReport } from './report.js';

export const policyFormats = ['json', 'yaml', 'terraform', 'cloudformation'] as const;
export type PolicyFormat = (typeof policyFormats)[number];
export const policyKinds = ['managed', 'role-inline', 'user-inline'] as const;

/** How policies are made from analyses; the same for every principal of a run. */
export interface PolicySettings {
  readonly format: PolicyFormat;
  readonly includeDenied: boolean;
  readonly policyKind: (typeof policyKinds)[number];
  readonly objectPrefixThreshold: number;
}

/** What the read was, for reports: how many files, the window, whether data events could be in it. */
export interface ReadContext {
  readonly files: number;
  readonly dataEventsPossible: boolean;
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
  catalog: IamCatalog,
): PrincipalPolicy {
  const target = principal.target;
  if (principal.counts.matched === 0) {
    throw new RunFailure(unseenPrincipalMessage(target.kind, target.label, read));
  }
  const granted = principal.granted.accesses();
  const accesses = settings.includeDenied ? [...granted, ...principal.deniedAccesses.accesses()] : granted;
  const warnings: string[] = [];
  if (accesses.length === 0) {
    // A true result, not a failure: the principal used no permission that a policy can grant.
    const c = principal.counts;
    warnings.push(
      `${target.label}: none of the ${c.matched} matched events needs a permission that can be granted (denied ${c.denied}, unmapped ${c.unmapped}, needing no permission ${c.matched - c.denied - c.unmapped}); the policy has no statements`,
    );
  }
  const shaped = shapePolicy(accesses, {
    policyKind: settings.policyKind,
    objectPrefixThreshold: settings.objectPrefixThreshold,
    accessLevelOf: (action) => catalog.actionByQualifiedName(action)?.accessLevel,
  });
  const coverage = requireCoverage(target.label, shaped.documents, granted);
  const report = { ...buildReport(read, principal, context, shaped), coverage };
  const text = renderPolicy(shaped, settings.format, { principalName: target.name, principalKind: target.kind });
  return { shaped, report, text, warnings: [...warnings, ...warningLines(report)] };
}

function unseenPrincipalMessage(kind: PrincipalSelector['kind'], label: string, read: TrailAnalysis): string {
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

export function renderPolicy(
  shaped: ShapedPolicy,
  format: PolicyFormat,
  target: { principalName: string; principalKind: 'role' | 'user' },
): string {
  const single: PolicyDocument | readonly PolicyDocument[] =
    shaped.documents.length === 1 && shaped.documents[0] !== undefined ? shaped.documents[0] : shaped.documents;
  switch (format) {
    case 'json':
      return renderJson(single);
    case 'yaml':
      return toYaml(single, { lineWidth: 0 });
    case 'terraform':
      return renderTerraform(shaped.documents, target);
    case 'cloudformation':
      return toYaml(cloudFormationTemplate(shaped.documents, target), { lineWidth: 0 });
  }
}

function warningLines(report: RunReport): string[] {
  const lines: string[] = [];
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
  if (report.resourceUnknown.length > 0) {
    const actions = report.resourceUnknown.map((r) => r.action);
    const more = actions.length > 8 ? `, and ${actions.length - 8} more (see --report)` : '';
    lines.push(`resource unknown, granted on "*": ${actions.slice(0, 8).join(', ')}${more}`);
  }
  return lines;
}

/**
 * The coverage proof: the documents must allow every authorized access that was observed, with its context.
 * A miss is a bug in iamgen, so the principal fails naming it and no policy is written for it.
 */
export function requireCoverage(
  label: string,
  documents: readonly PolicyDocument[],
  observed: readonly Access[],
): { checked: number; allowed: number } {
  const result = proveCoverage(documents, observed);
  if (result.misses.length > 0) {
    const named = result.misses.slice(0, 5).map(describeAccess).join('; ');
    const more = result.misses.length > 5 ? ` and ${result.misses.length - 5} more` : '';
    throw new RunFailure(
      `${label}: coverage proof failed: the generated policy does not allow ${result.misses.length} of ${result.checked} observed accesses: ${named}${more}`,
    );
  }
  return { checked: result.checked, allowed: result.allowed };
}
