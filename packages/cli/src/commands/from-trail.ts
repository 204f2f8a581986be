import { resolve } from 'node:path';
import type { Access, PolicyDocument, PrincipalSelector, ShapedPolicy } from '@iamgen/core';
import {
  cloudFormationTemplate,
  describeAccess,
  diffPolicies,
  loadIamCatalog,
  principalName,
  proveCoverage,
  renderJson,
  renderTerraform,
  shapePolicy,
} from '@iamgen/core';
import { stringify as toYaml } from 'yaml';
import { writeFileAtomic } from '../atomic-write.js';
import type { CliIo } from '../cli-io.js';
import { exitCodes, RunFailure, UsageError } from '../cli-io.js';
import { loadCurrentPolicies } from '../current-policy/index.js';
import type { SourceOptions } from '../feed-analysis.js';
import { describeSources, feedAnalysis } from '../feed-analysis.js';
import type { RunReport } from '../report.js';
import { buildReport, summaryLines } from '../report.js';
import { parseTimeBound } from '../time-window.js';
import type { DiffFormat } from './diff.js';
import { emitDiff, principalRefOf } from './diff.js';

export const policyFormats = ['json', 'yaml', 'terraform', 'cloudformation'] as const;
export type PolicyFormat = (typeof policyFormats)[number];
export const policyKinds = ['managed', 'role-inline', 'user-inline'] as const;

export interface FromTrailArgs extends SourceOptions {
  readonly role?: string | undefined;
  readonly user?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly format: PolicyFormat;
  readonly out?: string | undefined;
  readonly report?: string | undefined;
  readonly includeDenied: boolean;
  readonly policyKind: (typeof policyKinds)[number];
  readonly objectPrefixThreshold: number;
  /** Current policy to diff the proposal against: a file, or `iam` for the live policies of the principal. */
  readonly diffAgainst?: string | undefined;
  readonly diffFormat?: DiffFormat;
  readonly diffOut?: string | undefined;
}

/** How many problem lines go to stderr before the rest is left to `--report`. */
const shownProblems = 20;

export async function fromTrail(args: FromTrailArgs, io: CliIo, now = new Date()): Promise<number> {
  const selector = selectorOf(args);
  const since = args.since === undefined ? undefined : parseTimeBound('since', args.since, now);
  const until = args.until === undefined ? undefined : parseTimeBound('until', args.until, now);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new UsageError(`--since ${args.since} is not before --until ${args.until}`);
  }
  const catalog = await loadIamCatalog();
  const { analysis, files, dataEventsPossible } = await feedAnalysis(
    catalog,
    { selector, ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) },
    args,
    io,
  );
  const selectorText = `${selector.kind} ${selector.value}`;
  const context = {
    selector: selectorText,
    files,
    dataEventsPossible,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
  for (const problem of analysis.problems.slice(0, shownProblems)) io.stderr.write(`warning: ${problem.message}\n`);
  const totalProblems = analysis.counts.unreadableFiles + analysis.counts.malformedRecords;
  const hidden = totalProblems - Math.min(shownProblems, analysis.problems.length);
  if (hidden > 0) io.stderr.write(`warning: ${hidden} more unreadable files or records (see --report)\n`);

  if (analysis.counts.recordsRead === analysis.counts.malformedRecords) {
    await writeReportIfAsked(args, io.cwd, buildReport(analysis, context, undefined));
    throw new RunFailure(`no CloudTrail events found in ${describeSources(args)}`);
  }
  if (analysis.counts.matched === 0) {
    await writeReportIfAsked(args, io.cwd, buildReport(analysis, context, undefined));
    throw new RunFailure(unseenPrincipalMessage(selector, analysis.principals, analysis.counts.outsideWindow));
  }
  const granted = analysis.granted.accesses();
  const accesses = args.includeDenied ? [...granted, ...analysis.deniedAccesses.accesses()] : granted;
  if (accesses.length === 0) {
    // A true result, not a failure: the role used no permission that a policy can grant.
    io.stderr.write(
      `warning: ${selectorText}: none of the ${analysis.counts.matched} matched events needs a permission that can be granted (denied ${analysis.counts.denied}, unmapped ${analysis.counts.unmapped}, needing no permission ${analysis.counts.matched - analysis.counts.denied - analysis.counts.unmapped}); the policy has no statements\n`,
    );
  }
  const shaped = shapePolicy(accesses, {
    policyKind: args.policyKind,
    objectPrefixThreshold: args.objectPrefixThreshold,
    accessLevelOf: (action) => catalog.actionByQualifiedName(action)?.accessLevel,
  });
  const coverage = requireCoverage(shaped.documents, granted);
  const report = { ...buildReport(analysis, context, shaped), coverage };

  const target = {
    principalName: selector.value.startsWith('arn:') ? principalName(selector.value) : selector.value,
    principalKind: selector.kind,
  };
  const text = renderPolicy(shaped, args.format, target);
  // Read the current policy before writing anything, so a failure to read it leaves no output behind.
  const current =
    args.diffAgainst === undefined ? undefined : await loadCurrentPolicies(args.diffAgainst, selector, args, io.cwd);
  if (args.out === undefined) io.stdout.write(text);
  else await writeFileAtomic(resolve(io.cwd, args.out), text);
  await writeReportIfAsked(args, io.cwd, report);

  for (const line of warningLines(report)) io.stderr.write(`warning: ${line}\n`);
  if (current !== undefined) {
    const result = diffPolicies(current, shaped.documents, catalog, {
      dataEventsSeen: analysis.sawDataEvents,
      deniedAccesses: analysis.deniedAccesses.accesses(),
    });
    await emitDiff(result, args.diffFormat ?? 'text', args.diffOut, io);
  }
  if (io.stderrIsTTY) for (const line of summaryLines(report)) io.stderr.write(`${line}\n`);
  return exitCodes.ok;
}

function selectorOf(args: FromTrailArgs): PrincipalSelector {
  const selector = principalRefOf(args.role, args.user);
  if (selector === undefined) throw new UsageError('missing --role <name|arn> (or --user <name|arn>)');
  return selector;
}

function unseenPrincipalMessage(
  selector: PrincipalSelector,
  principals: ReadonlyMap<string, { kind: string; events: number }>,
  outsideWindow: number,
): string {
  const seen = [...principals.values()]
    .filter((p) => p.kind === selector.kind || (selector.kind === 'user' && p.kind === 'federated-user'))
    .sort((a, b) => b.events - a.events);
  const list = seen
    .slice(0, 15)
    .map((p) => `${'arn' in p ? String(p.arn) : ''} (${p.events})`)
    .join(', ');
  const more = seen.length > 15 ? `, and ${seen.length - 15} more (iamgen roles lists all)` : '';
  const window = outsideWindow > 0 ? ` (${outsideWindow} events fell outside --since/--until)` : '';
  return seen.length === 0
    ? `${selector.kind} ${selector.value} not seen in the logs${window}; no ${selector.kind}s were seen at all`
    : `${selector.kind} ${selector.value} not seen in the logs${window}; ${selector.kind}s seen: ${list}${more}`;
}

function renderPolicy(
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

async function writeReportIfAsked(args: FromTrailArgs, cwd: string, report: RunReport): Promise<void> {
  if (args.report !== undefined) await writeFileAtomic(resolve(cwd, args.report), renderJson(report));
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
 * A miss is a bug in iamgen, so the run fails naming it and prints no policy.
 */
export function requireCoverage(
  documents: readonly PolicyDocument[],
  observed: readonly Access[],
): { checked: number; allowed: number } {
  const result = proveCoverage(documents, observed);
  if (result.misses.length > 0) {
    const named = result.misses.slice(0, 5).map(describeAccess).join('; ');
    const more = result.misses.length > 5 ? ` and ${result.misses.length - 5} more` : '';
    throw new RunFailure(
      `coverage proof failed: the generated policy does not allow ${result.misses.length} of ${result.checked} observed accesses: ${named}${more}`,
    );
  }
  return { checked: result.checked, allowed: result.allowed };
}
