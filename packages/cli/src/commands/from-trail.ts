import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { IamCatalog, PrincipalSelection, PrincipalSelector } from '@iamgen/core';
import {
  dataEventServicesOf,
  diffPolicies,
  isGlob,
  renderExplanationMarkdown,
  renderExplanationText,
  renderJson,
  unmatchedGlobs,
} from '@iamgen/core';
import { cannotWrite, checkOutDir, checkWritableFile, writeFileAtomic, writeFilesAtomic } from '../atomic-write.js';
import type { CacheStats } from '../cache.js';
import { iamCatalog } from '../catalog.js';
import type { CliIo } from '../cli-io.js';
import { exitCodes, RunFailure, UsageError } from '../cli-io.js';
import type { CommonMember } from '../common-policy.js';
import { commonPolicies, commonPolicyName } from '../common-policy.js';
import type { FedAnalysis, SourceOptions } from '../feed-analysis.js';
import { describeSources, feedAnalysis } from '../feed-analysis.js';
import type { DiffFormat, PolicyFormat } from '../option-choices.js';
import { leftoverFiles, policyFileNames } from '../out-dir.js';
import type { PolicySettings, PrincipalPolicy, ReadContext } from '../principal-policy.js';
import { policyForPrincipal, unseenPrincipalMessage } from '../principal-policy.js';
import { buildReport, summaryLines } from '../report.js';
import { athenaSummaryLine, athenaWindow } from '../sources/athena-query.js';
import { describeError } from '../sources/log-content.js';
import { maskSecrets } from '../terminal.js';
import { parseTimeBound } from '../time-window.js';

export interface FromTrailArgs extends SourceOptions, PolicySettings {
  readonly roles: readonly string[];
  readonly users: readonly string[];
  /** Every role and IAM user seen (service-linked roles and AWS services left out). */
  readonly all: boolean;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly out?: string | undefined;
  /** With several principals: one policy file per principal and a `report.json` index here. */
  readonly outDir?: string | undefined;
  readonly report?: string | undefined;
  /** With several principals: one shared policy of the statements all need, and a remainder each. */
  readonly common?: boolean;
  /** Each statement's evidence: `''` for stderr, else a Markdown FILE. */
  readonly explain?: string | undefined;
  /** Current policy to diff the proposal against: a file, or `iam` for the live policies of the principal. */
  readonly diffAgainst?: string | undefined;
  readonly diffFormat?: DiffFormat;
  readonly diffOut?: string | undefined;
  /** Resolves instance profiles to roles for iam:PassRole: an authorization-details dump, or `iam` for live IAM. */
  readonly iamSnapshot?: string | undefined;
}

/** How many problem lines go to stderr before the rest is left to `--report`. */
const shownProblems = 20;

const extensions: Record<PolicyFormat, string> = {
  json: 'json',
  yaml: 'yaml',
  terraform: 'tf',
  cloudformation: 'cfn.yaml',
};

export async function fromTrail(args: FromTrailArgs, io: CliIo, now = new Date()): Promise<number> {
  const selection = selectionOf(args);
  const single = isSinglePrincipal(selection);
  if (!single && args.outDir === undefined) {
    throw new UsageError('several principals need --out-dir DIR (one policy file per principal and a report.json)');
  }
  if (!single && (args.out !== undefined || args.diffAgainst !== undefined)) {
    throw new UsageError('--out and --diff-against take one principal; with several use --out-dir (or iamgen propose)');
  }
  if (single && args.outDir !== undefined) throw new UsageError('--out-dir is for several principals; use --out');
  if (single && args.common === true) {
    throw new UsageError('--common needs several principals: a glob (--role "orders-*"), repeated --role, or --all');
  }
  // Where the output goes is checked now: a long read must not end in a write that cannot happen.
  if (args.outDir !== undefined) await checkOutDir(resolve(io.cwd, args.outDir), args.outDir);
  for (const file of [args.out, args.report, args.explain === '' ? undefined : args.explain, args.diffOut]) {
    if (file !== undefined) await checkWritableFile(resolve(io.cwd, file), file);
  }
  // Athena bills every day folder read, so its window always has bounds (90 days by default).
  const athenaBounds = args.athena === undefined ? undefined : athenaWindow(args.since, args.until, now);
  const since =
    athenaBounds?.since ?? (args.since === undefined ? undefined : parseTimeBound('since', args.since, now));
  const until =
    athenaBounds?.until ?? (args.until === undefined ? undefined : parseTimeBound('until', args.until, now));
  if (since !== undefined && until !== undefined && since >= until) {
    throw new UsageError(`--since ${args.since} is not before --until ${args.until}`);
  }
  const catalog = iamCatalog();
  const fed = await feedAnalysis(
    catalog,
    { selection, ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }) },
    args,
    io,
  );
  const { analysis } = fed;
  const context: ReadContext = {
    files: fed.files,
    ...(fed.cache === undefined ? {} : { cache: fed.cache }),
    dataEventsPossible: fed.dataEventsPossible,
    ...(fed.athena === undefined ? {} : { athena: fed.athena }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
  if (fed.athena !== undefined) io.stderr.write(`${athenaSummaryLine(fed.athena)}\n`);
  for (const problem of analysis.problems.slice(0, shownProblems)) io.stderr.write(`warning: ${problem.message}\n`);
  const totalProblems = analysis.counts.unreadableFiles + analysis.counts.malformedRecords;
  const hidden = totalProblems - Math.min(shownProblems, analysis.problems.length);
  if (hidden > 0) io.stderr.write(`warning: ${hidden} more unreadable files or records (see --report)\n`);
  const untimed = analysis.span.untimed;
  if (untimed > 0) {
    // CloudTrail always writes a time: these come from edited or converted logs, and where they land depends on it.
    const where =
      since === undefined && until === undefined
        ? 'they count as any other event'
        : 'they are counted as outside --since/--until';
    io.stderr.write(`warning: ${untimed} events have no usable eventTime (missing, or not a time); ${where}\n`);
  }
  const cacheLine = fed.cache === undefined ? undefined : cacheWarning(args.cache ?? '', fed.cache);
  if (cacheLine !== undefined) io.stderr.write(`warning: ${cacheLine}\n`);
  if (analysis.counts.recordsRead === analysis.counts.malformedRecords) {
    throw new RunFailure(`no CloudTrail events found in ${describeSources(args)}`);
  }
  // Reading IAM loads the AWS SDK, so it is loaded only by runs that ask for it (as are the diff's modules below).
  const instanceProfiles =
    args.iamSnapshot === undefined
      ? undefined
      : await (await import('../current-policy/instance-profiles.js')).readInstanceProfiles(
          args.iamSnapshot,
          args,
          io.cwd,
        );
  const settings: FromTrailArgs = { ...args, catalog, ...(instanceProfiles === undefined ? {} : { instanceProfiles }) };
  return single
    ? singlePrincipal(settings, fed, context, catalog, io)
    : severalPrincipals(settings, fed, context, selection, io);
}

async function singlePrincipal(
  args: FromTrailArgs,
  fed: FedAnalysis,
  context: ReadContext,
  catalog: IamCatalog,
  io: CliIo,
): Promise<number> {
  const principal = fed.analysis.analyses()[0];
  if (principal === undefined) throw new RunFailure('no principal selected');
  let result: PrincipalPolicy;
  try {
    result = policyForPrincipal(fed.analysis, principal, context, args);
  } catch (error) {
    if (error instanceof RunFailure && args.report !== undefined && principal.counts.matched === 0) {
      await writeFileAtomic(
        resolve(io.cwd, args.report),
        reportText(buildReport(fed.analysis, principal, context, undefined)),
        args.report,
      );
    }
    throw error;
  }
  // Read the current policy before writing anything, so a failure to read it leaves no output behind.
  const selector: PrincipalSelector = {
    kind: principal.target.kind,
    value: args.roles[0] ?? args.users[0] ?? principal.target.name,
  };
  const current =
    args.diffAgainst === undefined
      ? undefined
      : await (await import('../current-policy/index.js')).loadCurrentPolicies(
          args.diffAgainst,
          selector,
          args,
          io.cwd,
        );
  if (args.out === undefined) io.stdout.write(result.text);
  else await writeFileAtomic(resolve(io.cwd, args.out), result.text, args.out);
  if (args.report !== undefined)
    await writeFileAtomic(resolve(io.cwd, args.report), reportText(result.report), args.report);
  if (args.explain === '') io.stderr.write(renderExplanationText(result.evidence));
  else if (args.explain !== undefined) {
    await writeFileAtomic(
      resolve(io.cwd, args.explain),
      renderExplanationMarkdown(`Evidence for ${principal.target.label}`, result.evidence),
      args.explain,
    );
  }
  for (const line of result.warnings) io.stderr.write(`warning: ${line}\n`);
  if (current !== undefined) {
    const diff = diffPolicies(current, result.shaped.documents, catalog, {
      dataEventsSeen: principal.sawDataEvents,
      dataEventServices: dataEventServicesOf([...principal.granted.accesses(), ...principal.deniedAccesses.accesses()]),
      deniedAccesses: principal.deniedAccesses.accesses(),
    });
    const { emitDiff } = await import('./diff.js');
    await emitDiff(diff, args.diffFormat ?? 'text', args.diffOut, io);
  }
  if (io.stderrIsTTY) for (const line of summaryLines(result.report)) io.stderr.write(`${line}\n`);
  return exitCodes.ok;
}

/** A file of --out-dir as messages name it: relative, as the user gave the folder. */
function shown(args: FromTrailArgs, file: string): string {
  return join(args.outDir ?? '.', file);
}

/** Reports are shared and attached to tickets: access key ids and tokens that came with the events are masked. */
function reportText(report: unknown): string {
  return maskSecrets(renderJson(report));
}

interface IndexEntry {
  readonly principal: string;
  readonly arns: readonly string[];
  readonly status: 'ok' | 'failed';
  readonly file?: string;
  /** With --common: the statements this principal keeps beyond the shared policy. */
  readonly remainderStatements?: number;
  readonly error?: string;
  readonly report?: unknown;
}

/**
 * Several principals from one read: one policy file each (named after the principal, made unique), and a
 * `report.json` index. A principal that fails (not seen, proof failed) is named and makes the exit 1, but never
 * hides the others.
 */
async function severalPrincipals(
  args: FromTrailArgs,
  fed: FedAnalysis,
  context: ReadContext,
  selection: PrincipalSelection,
  io: CliIo,
): Promise<number> {
  const outDir = resolve(io.cwd, args.outDir ?? '.');
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    throw cannotWrite(args.outDir ?? '.', error);
  }
  const earlierIndex = await readEarlierIndex(join(outDir, 'report.json'));
  const principals = fed.analysis.analyses();
  if (principals.length === 0) {
    throw new RunFailure(`no principal matched ${describeSelection(selection)} in ${describeSources(args)}`);
  }
  const commonName = commonPolicyName(principals.map((p) => p.target.name));
  const names = policyFileNames(
    [
      ...(args.common === true ? [{ key: commonKey, name: commonName, arns: [] }] : []),
      ...principals.map((p) => ({ key: p.target.key, name: p.target.name, arns: [...p.matchedPrincipals] })),
    ],
    extensions[args.format],
  );
  const members: (CommonMember & { file: string; entry: number })[] = [];
  const entries: IndexEntry[] = [];
  // Every policy is made before any is written, so an interrupt while they are made leaves the folder as it was.
  const writes: { file: string; text: string }[] = [];
  const explanations: string[] = [];
  let failed = 0;
  const failedFiles = new Set<string>();
  for (const principal of principals) {
    const arns = [...principal.matchedPrincipals].sort();
    // Let a Ctrl-C in between principals be handled now, not after the last one.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      const result = policyForPrincipal(fed.analysis, principal, context, args);
      const file = names.get(principal.target.key) ?? `${principal.target.name}.${extensions[args.format]}`;
      if (args.common === true) members.push({ principal, result, file, entry: entries.length });
      else writes.push({ file, text: result.text });
      for (const line of result.warnings) {
        io.stderr.write(
          `warning: ${line.startsWith(principal.target.label) ? line : `${principal.target.label}: ${line}`}\n`,
        );
      }
      if (args.explain === '') {
        io.stderr.write(`${principal.target.label}:\n${renderExplanationText(result.evidence)}`);
      } else if (args.explain !== undefined) {
        explanations.push(renderExplanationMarkdown(`Evidence for ${principal.target.label}`, result.evidence));
      }
      entries.push({ principal: principal.target.label, arns, status: 'ok', file, report: result.report });
    } catch (error) {
      if (!(error instanceof RunFailure)) throw error;
      failed += 1;
      failedFiles.add(names.get(principal.target.key) ?? '');
      io.stderr.write(`iamgen: ${error.message}\n`);
      entries.push({ principal: principal.target.label, arns, status: 'failed', error: error.message });
    }
  }
  // A glob that matched nothing fails as a named principal that was not seen does, while the others are written.
  for (const glob of unmatchedGlobs(
    selection,
    principals.flatMap((p) => [...p.matchedPrincipals]),
  )) {
    const label = `${glob.kind} ${glob.value}`;
    const message = unseenPrincipalMessage(glob.kind, label, fed.analysis);
    failed += 1;
    io.stderr.write(`iamgen: ${message}\n`);
    entries.push({ principal: label, arns: [], status: 'failed', error: message });
  }
  const common = args.common === true ? commonFiles(members, names, args, entries, writes, io) : undefined;
  const written = new Set([...entries.map((e) => e.file), common?.file].filter((f) => f !== undefined));
  const leftover = leftoverFiles(earlierIndex, written, failedFiles);
  const c = fed.analysis.counts;
  const index = {
    window: {
      ...(context.since === undefined ? {} : { since: context.since }),
      ...(context.until === undefined ? {} : { until: context.until }),
    },
    counts: {
      files: fed.files,
      eventsRead: c.recordsRead,
      unreadableFiles: c.unreadableFiles,
      malformedRecords: c.malformedRecords,
      outsideWindow: c.outsideWindow,
      prefiltered: c.prefiltered,
      workerThreads: fed.workerThreads,
    },
    ...(fed.cache === undefined ? {} : { cache: fed.cache }),
    ...(context.athena === undefined ? {} : { athena: context.athena }),
    ...(common === undefined ? {} : { common }),
    principals: entries,
    ...(leftover.length === 0 ? {} : { removedFiles: leftover }),
    excludedFromAll: [...fed.analysis.excludedFromAll]
      .map(([arn, reason]) => ({ arn, reason }))
      .sort((a, b) => (a.arn < b.arn ? -1 : 1)),
    problems: fed.analysis.problems.map((p) => p.message),
  };
  // The policies and their index replace the earlier ones together, or not at all.
  await writeFilesAtomic([
    ...writes.map(({ file, text }) => ({ path: join(outDir, file), text, display: shown(args, file) })),
    { path: join(outDir, 'report.json'), text: reportText(index), display: shown(args, 'report.json') },
  ]);
  // Only once the new index is in place, so an interrupted run never leaves a folder its index does not describe.
  for (const file of leftover) {
    try {
      await rm(join(outDir, file), { force: true });
    } catch (error) {
      io.stderr.write(`warning: cannot remove ${shown(args, file)}, left by an earlier run: ${describeError(error)}\n`);
    }
  }
  if (leftover.length > 0) {
    io.stderr.write(
      `removed ${leftover.length} ${leftover.length === 1 ? 'file' : 'files'} an earlier run wrote for principals this run did not produce: ${leftover.join(', ')}\n`,
    );
  }
  if (args.explain !== undefined && args.explain !== '') {
    await writeFileAtomic(resolve(io.cwd, args.explain), explanations.join('\n'), args.explain);
  }
  if (args.report !== undefined) await writeFileAtomic(resolve(io.cwd, args.report), reportText(index), args.report);
  const ok = entries.length - failed;
  io.stderr.write(
    `${ok} of ${entries.length} policies written to ${args.outDir ?? '.'}${failed > 0 ? `; ${failed} failed (see report.json)` : ''}\n`,
  );
  return failed > 0 ? exitCodes.runFailure : exitCodes.ok;
}

/** The index an earlier run left in the folder, as parsed; undefined when there is none or it is not JSON. */
async function readEarlierIndex(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The shared policy's key among the principals' file names; no principal key starts with a NUL. */
const commonKey = '\u0000common';

/**
 * Adds to `writes` the shared policy and each member's remainder (a member left with nothing gets no file), and
 * marks the members' index entries. Fewer than two members share nothing: their full policies are written.
 */
function commonFiles(
  members: readonly (CommonMember & { file: string; entry: number })[],
  names: ReadonlyMap<string, string>,
  args: FromTrailArgs,
  entries: IndexEntry[],
  writes: { file: string; text: string }[],
  io: CliIo,
): { file?: string; name: string; statements: number; documents: number; principals: string[] } {
  const outcome = members.length >= 2 ? commonPolicies(members, args) : undefined;
  if (outcome === undefined || outcome.statements === 0) {
    io.stderr.write('warning: --common: the selected principals share no statement; each keeps its whole policy\n');
    for (const m of members) writes.push({ file: m.file, text: m.result.text });
    return { name: outcome?.name ?? 'common', statements: 0, documents: 0, principals: [] };
  }
  const file = names.get(commonKey) ?? `${outcome.name}.${extensions[args.format]}`;
  writes.push({ file, text: outcome.text });
  for (const [i, m] of members.entries()) {
    const remainder = outcome.remainders[i];
    const entry = entries[m.entry];
    if (remainder === undefined || entry === undefined) continue;
    if (remainder.statements > 0) writes.push({ file: m.file, text: remainder.text });
    const { file: _, ...rest } = entry;
    entries[m.entry] = {
      ...rest,
      ...(remainder.statements > 0 ? { file: m.file } : {}),
      remainderStatements: remainder.statements,
    };
  }
  return {
    file,
    name: outcome.name,
    statements: outcome.statements,
    documents: outcome.documents.length,
    principals: members.map((m) => m.principal.target.label),
  };
}

/** `--role`/`--user` (repeatable, globs) and `--all`, as `from-trail` and `athena query` read them. */
/** One line when the cache could not be trusted or written; the run itself is unaffected (files are read instead). */
function cacheWarning(dir: string, stats: CacheStats): string | undefined {
  const parts = [
    ...(stats.rejected > 0
      ? [`${stats.rejected} entries could not be trusted (corrupt or foreign) and were rebuilt`]
      : []),
    ...(stats.unreadable > 0
      ? [`${stats.unreadable} entries could not be read and their files were read instead`]
      : []),
    ...(stats.unwritable > 0
      ? [`${stats.unwritable} entries could not be written (the next run reads those files again)`]
      : []),
  ];
  return parts.length === 0 ? undefined : `cache ${dir}: ${parts.join('; ')}`;
}

export function selectionOf(args: {
  readonly roles: readonly string[];
  readonly users: readonly string[];
  readonly all: boolean;
}): PrincipalSelection {
  const selectors: PrincipalSelector[] = [
    ...args.roles.map((value): PrincipalSelector => ({ kind: 'role', value })),
    ...args.users.map((value): PrincipalSelector => ({ kind: 'user', value })),
  ];
  for (const s of selectors) if (s.value.trim() === '') throw new UsageError(`--${s.kind} needs a name, ARN or glob`);
  if (selectors.length === 0 && !args.all) {
    throw new UsageError('missing --role <name|arn|glob> (or --user, or --all)');
  }
  return { selectors, all: args.all };
}

function isSinglePrincipal(selection: PrincipalSelection): boolean {
  const [only] = selection.selectors;
  return !selection.all && selection.selectors.length === 1 && only !== undefined && !isGlob(only.value);
}

function describeSelection(selection: PrincipalSelection): string {
  const named = selection.selectors.map((s) => `${s.kind} ${s.value}`);
  return [...named, ...(selection.all ? ['--all'] : [])].join(', ');
}
