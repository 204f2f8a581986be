import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Grant, IamCatalog, PolicyDocument } from '@iamgen/core';
import {
  diffPolicies,
  isDataPlaneAction,
  policySize,
  policySizeLimits,
  renderDiffText,
  renderJson,
} from '@iamgen/core';
import { writeFileAtomic } from '../atomic-write.js';
import { iamCatalog } from '../catalog.js';
import type { CliIo } from '../cli-io.js';
import { exitCodes, RunFailure, UsageError } from '../cli-io.js';
import { parseTimeBound } from '../time-window.js';
import type { EstateRead } from './analyze.js';
import { analyzePrincipals, describeConfigSources, sourceOfConfig } from './analyze.js';
import type { PolicyEntry, ProposeConfig } from './config.js';
import { loadConfig } from './config.js';
import { isUnsupported, locatePolicy } from './edit/policy-file.js';
import { Git, GitError, redact } from './git.js';
import type { PullRequest, PullRequests } from './github.js';
import { GitHubError, gitHubPullRequests, gitHubSettings } from './github.js';
import type { ProposalFacts } from './pr-body.js';
import { proposalMarker, pullRequestBody, pullRequestTitle } from './pr-body.js';
import type { ProposalEvidence } from './shrink.js';
import { ShrinkFailure, shrinkPolicy } from './shrink.js';

export interface ProposeArgs {
  readonly config: string;
  readonly dryRun: boolean;
  /** Principal names (or ARNs as written in the config) to limit the run to. */
  readonly only: readonly string[];
  readonly report?: string | undefined;
}

type Status =
  | 'opened'
  | 'updated'
  | 'up-to-date'
  | 'declined'
  | 'would-propose'
  | 'no-change'
  | 'withdrawn'
  | 'held-back'
  | 'failed';

interface PrincipalResult {
  readonly kind: 'role' | 'user';
  readonly principal: string;
  readonly file: string;
  readonly status: Status;
  readonly detail: string;
  readonly branch?: string;
  readonly pullRequest?: { readonly number: number; readonly url: string };
  readonly grants?: { current: number; removed: number; narrowed: number; kept: number; reductionPercent: number };
  readonly evidence?: readonly ProposalEvidence[];
  readonly notGranted?: number;
  /** The data was too old to judge: the run as a whole is refused. */
  readonly stale?: boolean;
  /** Some of the logs could not be read: the run as a whole is refused. */
  readonly incomplete?: boolean;
}

/** An entry that cannot be proposed (file missing, unsupported, outside the repository): reported, others go on. */
class EntryFailure extends Error {}

/** A per-principal stop that is not an error: a safeguard held the change back. */
class HeldBack extends Error {
  constructor(
    message: string,
    /** Why the whole run is refused, when it is. */
    readonly refusesRun?: 'stale' | 'incomplete',
  ) {
    super(message);
  }
}

const dayMs = 86_400_000;
/** Problems of the read printed one per line; the rest are counted. */
const shownProblems = 10;

interface RunContext {
  readonly config: ProposeConfig;
  readonly args: ProposeArgs;
  readonly io: CliIo;
  readonly now: Date;
  readonly git: Git;
  readonly github: PullRequests | undefined;
  readonly base: string;
  readonly baseSha: string;
  readonly root: string;
  readonly configDir: string;
  readonly catalog: IamCatalog;
  readonly read: EstateRead;
  readonly window: { since: string; until: string };
}

/**
 * `iamgen propose`: for each policy in the config, shrink it to what its principal used and open (or update)
 * a pull request on `iamgen/<principal>`. One principal's failure never stops the others.
 */
export async function propose(args: ProposeArgs, io: CliIo, now = new Date()): Promise<number> {
  const config = await loadConfig(args.config, io.cwd);
  const entries = selectEntries(config, args.only);
  const token = io.env.GITHUB_TOKEN;
  const git = new Git(io.cwd, io.env, [token]);
  const root = await git.topLevel().catch(() => {
    throw new UsageError('run propose inside a git checkout of the repository that holds the policies');
  });
  const base = config.baseBranch ?? (await git.defaultBase());
  if (base === undefined) throw new UsageError(`${config.path}: set baseBranch: the checkout is on no branch`);
  const github = args.dryRun ? undefined : gitHubPullRequests(gitHubSettings(io.env, await git.remoteUrl()));
  let baseSha: string;
  try {
    baseSha = await git.fetch(base, config.branchPrefix);
  } catch (error) {
    throw new RunFailure(error instanceof Error ? error.message : String(error));
  }
  const configDir = await realpath(dirname(resolve(io.cwd, args.config)));
  const source = sourceOfConfig(config, configDir);
  // To the second, as CloudTrail writes event times (and as an Athena query takes its bounds).
  const seconds = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
  const window = {
    since: seconds(parseTimeBound('since', config.since, now)),
    until: seconds(config.until === undefined ? now.toISOString() : parseTimeBound('until', config.until, now)),
  };
  const catalog = iamCatalog();
  const read = await analyzePrincipals(entries, source, window, catalog, io);
  for (const problem of read.problems.slice(0, shownProblems)) io.stderr.write(`warning: ${problem}\n`);
  if (read.unreadableInputs > shownProblems) {
    io.stderr.write(`warning: ${read.unreadableInputs - shownProblems} more unreadable files or records\n`);
  }
  const context: RunContext = {
    config,
    args,
    io,
    now,
    git,
    github,
    base,
    baseSha,
    root: await realpath(root),
    configDir,
    catalog,
    read,
    window,
  };

  const results: PrincipalResult[] = [];
  for (const entry of entries) {
    const result = await proposeOne(context, entry).catch((error: unknown) => failure(entry, error, token));
    results.push(result);
    io.stdout.write(`${resultLine(result)}\n`);
  }
  if (args.report !== undefined)
    await writeFileAtomic(
      resolve(io.cwd, args.report),
      renderJson({
        base,
        baseCommit: baseSha,
        dryRun: args.dryRun,
        window,
        sources: describeConfigSources(config),
        principals: results,
      }),
    );
  const failed = results.filter((r) => r.status === 'failed');
  const stale = results.some((r) => r.stale === true);
  const incomplete = results.some((r) => r.incomplete === true);
  io.stderr.write(`${summaryLine(results)}\n`);
  if (stale)
    io.stderr.write(
      `iamgen: the newest event read is ${read.newestEvent ?? 'missing'}: the trail looks broken, so nothing was proposed\n`,
    );
  if (incomplete)
    io.stderr.write(
      `iamgen: ${read.unreadableInputs} log files or records could not be read (see the warnings): one may hold the calls a removal would break, so nothing was proposed\n`,
    );
  if (failed.length > 0)
    io.stderr.write(
      `iamgen: ${failed.length} of ${results.length} failed: ${failed.map((r) => r.principal).join(', ')}\n`,
    );
  return failed.length > 0 || stale || incomplete ? exitCodes.runFailure : exitCodes.ok;
}

function selectEntries(config: ProposeConfig, only: readonly string[]): readonly PolicyEntry[] {
  if (only.length === 0) return config.policies;
  const unknown = only.filter((name) => !config.policies.some((e) => e.name === name || e.principal === name));
  if (unknown.length > 0)
    throw new UsageError(
      `--only ${unknown.join(', ')}: not in ${config.path} (listed: ${config.policies.map((e) => e.name).join(', ')})`,
    );
  return config.policies.filter((e) => only.includes(e.name) || only.includes(e.principal));
}

function failure(entry: PolicyEntry, error: unknown, token: string | undefined): PrincipalResult {
  if (error instanceof HeldBack)
    return {
      ...identity(entry),
      status: 'held-back',
      detail: error.message,
      ...(error.refusesRun === undefined ? {} : { [error.refusesRun]: true }),
    };
  const known =
    error instanceof EntryFailure ||
    error instanceof GitError ||
    error instanceof GitHubError ||
    error instanceof ShrinkFailure;
  const message = error instanceof Error ? error.message : String(error);
  return {
    ...identity(entry),
    status: 'failed',
    detail: redact(known ? message : `internal error: ${message}`, [token]),
  };
}

const identity = (entry: PolicyEntry) => ({ kind: entry.kind, principal: entry.name, file: entry.file });

/** The entry's file as a path inside the repository (relative to the config file's folder in the config). */
function repositoryPath(context: RunContext, file: string): string {
  const absolute = resolve(context.configDir, file);
  const inRepo = relative(context.root, absolute);
  if (inRepo.startsWith('..') || isAbsolute(inRepo)) throw new EntryFailure(`${file} is outside the repository`);
  return inRepo.split(sep).join('/');
}

async function proposeOne(context: RunContext, entry: PolicyEntry): Promise<PrincipalResult> {
  const { git, config, read } = context;
  const path = repositoryPath(context, entry.file);
  const text = await git.show(context.baseSha, path);
  if (text === undefined) throw new EntryFailure(`${entry.file}: not found on ${context.base}`);
  const located = locatePolicy(text, path, entry);
  if (isUnsupported(located)) throw new EntryFailure(`${entry.file}: unsupported: ${located.unsupported}`);

  const guard = entry.safeguards;
  const activity = read.principals.get(entry);
  // Ages count back from the end of the window: now for a nightly run, `until` when a past window was asked for.
  const end = Date.parse(context.window.until);
  const newestAllowed = new Date(end - guard.maxDataAgeDays * dayMs).toISOString();
  if (read.newestEvent === undefined || read.newestEvent < newestAllowed)
    throw new HeldBack(
      `newest event read is ${read.newestEvent ?? 'none'}, older than maxDataAgeDays ${guard.maxDataAgeDays}`,
      'stale',
    );
  if (read.unreadableInputs > guard.maxUnreadableInputs)
    throw new HeldBack(
      `${read.unreadableInputs} log files or records could not be read, more than maxUnreadableInputs ${guard.maxUnreadableInputs}`,
      'incomplete',
    );
  if (activity === undefined || activity.events === 0) throw new HeldBack('not seen in the window');
  if (activity.events < guard.minEvents)
    throw new HeldBack(`${activity.events} events in the window, fewer than minEvents ${guard.minEvents}`);
  const observedSince = new Date(end - guard.minObservedDays * dayMs).toISOString();
  if (activity.firstSeen === undefined || activity.firstSeen > observedSince)
    throw new HeldBack(
      `first event ${activity.firstSeen ?? 'unknown'} is less than minObservedDays ${guard.minObservedDays} ago`,
    );

  const recent = await recentGrants(context, entry, path, located.policy);
  const shrunk = shrinkPolicy({
    current: located.policy,
    observed: activity.observed,
    catalog: context.catalog,
    keepSid: new RegExp(guard.keepSidPattern),
    dataEventServices: activity.dataEventServices,
    recentGrants: recent,
    objectPrefixThreshold: config.objectPrefixThreshold,
  });
  const { diff } = shrunk;
  const grants = {
    current: diff.current,
    removed: diff.removed.length,
    narrowed: diff.narrowed.length,
    kept: diff.kept.length,
    reductionPercent: diff.reductionPercent,
  };
  const common = { ...identity(entry), grants, evidence: shrunk.evidence, notGranted: shrunk.notGranted.length };
  if (diff.removed.length + diff.narrowed.length === 0) {
    const nothing = 'every grant of the file was used (or is kept by a safeguard)';
    const branch = entry.branch;
    const open = context.github === undefined ? undefined : await context.github.find(branch);
    if (context.github === undefined || open?.state !== 'open')
      return { ...common, status: 'no-change', detail: nothing };
    // The policy on the base branch no longer has anything to remove (applied by hand, or the principal grew):
    // an open proposal would only mislead.
    await context.github.close(
      open.number,
      `iamgen no longer proposes a change for this ${entry.kind}: ${nothing} in ${entry.file} on ${context.base}.`,
    );
    return {
      ...common,
      status: 'withdrawn',
      branch,
      pullRequest: open,
      detail: `closed pull request #${open.number}: ${nothing}`,
    };
  }
  const limit = !located.inline
    ? policySizeLimits.managed
    : policySizeLimits[entry.kind === 'user' ? 'user-inline' : 'role-inline'];
  const size = policySize(shrunk.next);
  if (size > limit)
    throw new EntryFailure(
      `the proposal is ${size} characters, over IAM's ${limit} for this policy (explicit ARNs are longer than wildcards); nothing proposed`,
    );
  const newText = located.rewrite(shrunk.next);
  const facts: ProposalFacts = {
    entry,
    where: located.where,
    diff,
    evidence: shrunk.evidence,
    notGranted: shrunk.notGranted,
    previous: located.policy,
    window: context.window,
    sources: describeConfigSources(config),
    unknownDataPlaneServices: unknownDataPlane(located.policy, context.catalog, activity.dataEventServices),
    unmappedEvents: activity.unmapped,
    keepSidPattern: guard.keepSidPattern,
    graceDays: guard.graceDays,
    configPath: config.path,
  };
  // Names what is proposed, so a declined proposal is known again even after its branch was deleted.
  const proposal = createHash('sha256').update(`${path}\u0000${newText}`).digest('hex').slice(0, 16);
  const content = {
    title: pullRequestTitle(config.title, facts),
    body: `${pullRequestBody(facts)}${proposalMarker(proposal)}`,
  };
  const branch = entry.branch;
  const summary = `${grants.removed + grants.narrowed} of ${grants.current} grants removed or narrowed (${grants.reductionPercent}%)`;
  const github = context.github;
  if (github === undefined) {
    context.io.stdout.write(
      `${entry.kind} ${entry.name}: ${entry.file} (${located.where}):\n${renderDiffText(diff).replace(/^(?=.)/gm, '  ')}`,
    );
    return {
      ...common,
      status: 'would-propose',
      branch,
      detail: `would push ${branch} and open or update its pull request: ${summary}`,
    };
  }

  const remoteSha = await git.remoteBranch(branch);
  const remoteText = remoteSha === undefined ? undefined : await git.show(remoteSha, path);
  // Asked before anything is pushed: a token GitHub refuses fails the entry with the branch left as it was.
  const existing = await github.find(branch);
  const declined = (pull: PullRequest): PrincipalResult => ({
    ...common,
    status: 'declined',
    branch,
    pullRequest: pull,
    detail: `pull request #${pull.number} with this proposal was ${pull.merged ? 'merged' : 'closed'}; not reopened`,
  });
  if (remoteText === newText) {
    if (existing?.state === 'open')
      return {
        ...common,
        status: 'up-to-date',
        branch,
        pullRequest: existing,
        detail: `pull request #${existing.number} already proposes this`,
      };
    if (existing !== undefined) return declined(existing);
  } else {
    if (remoteSha !== undefined && !(await git.isOneCommitOnBase(remoteSha, context.baseSha)))
      throw new HeldBack(
        `${branch} holds commits propose did not make (a reviewer's?), which a new proposal would overwrite: merge or close its pull request, or delete the branch`,
      );
    // A closed pull request of this very proposal declined it, even once its branch was deleted.
    if (existing?.state === 'closed' && existing.proposal === proposal) return declined(existing);
    const message = `${content.title}\n\n${summary} in ${entry.file}, from CloudTrail activity ${context.window.since.slice(0, 10)} to ${context.window.until.slice(0, 10)}.\n`;
    const commit = await git.commitFile(context.baseSha, path, newText, message, config.commitAuthor);
    await git.push(commit, branch, remoteSha);
  }
  const open = remoteText === newText ? undefined : existing;
  if (open?.state === 'open') {
    await github.update(open.number, content);
    return {
      ...common,
      status: 'updated',
      branch,
      pullRequest: open,
      detail: `updated pull request #${open.number}: ${summary}`,
    };
  }
  const created = await github.create(branch, context.base, content, config.draft);
  // The pull request exists from here on: labels and reviewers are extras, and a failure to add them (an unknown
  // reviewer, the author asked to review) is a note, not a failed principal whose proposal would look missing.
  const notes: string[] = [];
  for (const extra of [
    () => github.label(created.number, config.labels),
    () => github.requestReviews(created.number, config.reviewers),
  ]) {
    try {
      await extra();
    } catch (error) {
      if (!(error instanceof GitHubError)) throw error;
      notes.push(error.message);
    }
  }
  return {
    ...common,
    status: 'opened',
    branch,
    pullRequest: created,
    detail: `opened pull request #${created.number}: ${summary}${notes.map((note) => `; ${note}`).join('')}`,
  };
}

/**
 * Grants the file gained within `graceDays`: what it grants now minus what it granted at the last commit
 * before then. A policy that did not exist then is recent as a whole.
 */
async function recentGrants(
  context: RunContext,
  entry: PolicyEntry,
  path: string,
  current: PolicyDocument,
): Promise<Grant[]> {
  const { git, now, catalog } = context;
  const graceDays = entry.safeguards.graceDays;
  if (graceDays === 0) return [];
  const cutoff = new Date(now.getTime() - graceDays * dayMs).toISOString();
  const then = await git.commitAsOf(context.baseSha, cutoff);
  const oldText = then === undefined ? undefined : await git.show(then, path);
  const old = oldText === undefined ? undefined : locatePolicy(oldText, path, entry);
  if (then === undefined && (await git.isShallow()))
    throw new HeldBack(
      `the checkout is shallow, so graceDays ${graceDays} cannot be checked: fetch the full history (actions/checkout fetch-depth: 0)`,
    );
  if (old === undefined || isUnsupported(old))
    throw new HeldBack(
      `the policy is younger than graceDays ${graceDays} (not in ${entry.file} as of ${cutoff.slice(0, 10)})`,
    );
  return [...diffPolicies([old.policy], [current], catalog, { dataEventsSeen: true }).added];
}

function unknownDataPlane(policy: PolicyDocument, catalog: IamCatalog, seen: ReadonlySet<string>): string[] {
  const services = diffPolicies([policy], [], catalog, { dataEventsSeen: true })
    .removed.filter((g) => isDataPlaneAction(g.action))
    .map((g) => g.action.slice(0, g.action.indexOf(':')).toLowerCase())
    .filter((service) => !seen.has(service));
  return [...new Set(services)].sort();
}

function resultLine(result: PrincipalResult): string {
  const prefix = ['held-back', 'failed', 'no-change'].includes(result.status)
    ? `${result.status.replace(/-/g, ' ')}: `
    : '';
  return `${result.kind} ${result.principal}: ${prefix}${result.detail}`;
}

function summaryLine(results: readonly PrincipalResult[]): string {
  const counts = new Map<Status, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const parts = [...counts.entries()].map(([status, n]) => `${n} ${status.replace(/-/g, ' ')}`);
  return `propose: ${results.length} principal${results.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}
