import type { Grant, ObservedAccess, PolicyDiff, PolicyDocument } from '@iamgen/core';
import { isDataPlaneAction } from '@iamgen/core';
import type { PolicyEntry } from './config.js';
import type { CarryReason, ProposalEvidence } from './shrink.js';

export interface ProposalFacts {
  readonly entry: PolicyEntry;
  /** Where in the file the policy sits. */
  readonly where: string;
  readonly diff: PolicyDiff;
  readonly evidence: readonly ProposalEvidence[];
  readonly notGranted: readonly ObservedAccess[];
  readonly previous: PolicyDocument;
  readonly window: { readonly since: string; readonly until: string };
  readonly sources: string;
  /** Services of the file's data-plane grants whose use the source cannot show. */
  readonly unknownDataPlaneServices: readonly string[];
  readonly unmappedEvents: number;
  readonly keepSidPattern: string;
  readonly graceDays: number;
  readonly configPath: string;
}

/** GitHub refuses bodies over 65,536 characters; leave room for the closing lines. */
const bodyLimit = 60_000;
const listed = 100;

/** Text for Markdown prose and table cells: every character Markdown or HTML could act on is escaped. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** Text inside HTML (a `<summary>`), where Markdown escapes would show as backslashes. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An inline code span that survives backticks and table pipes in the value. */
export function code(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

const carryText: Readonly<Record<CarryReason, string>> = {
  'keep-sid': 'kept: marked to keep',
  deny: 'kept: a Deny',
  'unknown-data-plane': 'kept: data-plane use unknown',
  'recent-grant': 'kept: added within the grace period',
  conditional: 'kept with its conditions',
};

const day = (iso: string | undefined) => (iso === undefined ? '–' : iso.slice(0, 10));
const grantLine = (g: Grant) =>
  `- ${code(g.action)} on ${code(g.resource)}${g.conditional ? ' (with conditions)' : ''}`;

function details(title: string, lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  const shown = lines.slice(0, listed);
  const more = lines.length > listed ? [`- … and ${lines.length - listed} more`] : [];
  return [
    '',
    `<details><summary>${escapeHtml(title)} (${lines.length})</summary>`,
    '',
    ...shown,
    ...more,
    '',
    '</details>',
  ];
}

/** The pull request body: what changes, the evidence for what stays, what the logs cannot say, how to undo. */
export function pullRequestBody(facts: ProposalFacts): string {
  const { entry, diff } = facts;
  const changed = diff.removed.length + diff.narrowed.length;
  const out: string[] = [
    `## Least privilege for ${entry.kind} ${code(entry.name)}`,
    '',
    `iamgen compared what ${code(entry.file)} grants (${escapeMarkdown(facts.where)}) with what the ${entry.kind} did from ${day(facts.window.since)} to ${day(facts.window.until)}, read from ${facts.sources.split(', ').map(code).join(', ')}, and proposes removing what it never used. It never adds a permission.`,
    '',
    `**${changed} of ${diff.current} grants removed or narrowed (${diff.reductionPercent}% privilege reduction)**: ${diff.removed.length} removed, ${diff.narrowed.length} narrowed to the resources used, ${diff.kept.length} kept.`,
    '',
    '| service | removed | narrowed | kept |',
    '|---|---:|---:|---:|',
  ];
  const services = [
    ...new Set([...diff.removed, ...diff.narrowed, ...diff.kept].map((g) => g.action.split(':')[0] ?? '')),
  ].sort();
  const count = (grants: readonly Grant[], service: string) =>
    grants.filter((g) => g.action.startsWith(`${service}:`)).length;
  for (const service of services)
    out.push(
      `| ${escapeMarkdown(service)} | ${count(diff.removed, service)} | ${count(diff.narrowed, service)} | ${count(diff.kept, service)} |`,
    );
  out.push(
    ...details('Removed: not seen in the window', diff.removed.map(grantLine)),
    ...details('Narrowed to the resources used', diff.narrowed.map(grantLine)),
  );

  out.push(
    '',
    '### Evidence for each statement',
    '',
    '| Sid | actions | events | first seen | last seen | sample event |',
    '|---|---|---:|---|---|---|',
  );
  for (const e of facts.evidence) {
    const actions =
      e.actions.length > 4
        ? `${e.actions.slice(0, 4).join(', ')}, … ${e.actions.length - 4} more`
        : e.actions.join(', ');
    const note = e.carried === undefined ? '' : ` (${e.carried.map((r) => carryText[r]).join('; ')})`;
    out.push(
      `| ${code(e.sid)}${escapeMarkdown(note)} | ${code(actions)} | ${e.events} | ${day(e.firstSeen)} | ${day(e.lastSeen)} | ${e.sampleEventId === undefined ? '–' : code(e.sampleEventId)} |`,
    );
  }

  if (facts.notGranted.length > 0) {
    out.push(
      ...details(
        'Observed but not granted by this file (another policy grants it, or a human should decide)',
        facts.notGranted.map(
          (o) => `- ${code(o.access.action)} on ${code(o.access.resource)}: ${o.count} events, last ${day(o.lastSeen)}`,
        ),
      ),
    );
  }

  out.push('', '### What the logs cannot speak for', '');
  if (facts.unknownDataPlaneServices.length > 0)
    out.push(
      `- The source holds no data events for ${facts.unknownDataPlaneServices.map(code).join(', ')}: object-, item- and invoke-level grants of these services are kept (statements marked "data-plane use unknown").`,
    );
  const judgedDataPlane = [...diff.removed, ...diff.narrowed].filter((g) => isDataPlaneAction(g.action));
  if (judgedDataPlane.length > 0) {
    const services = [...new Set(judgedDataPlane.map((g) => g.action.split(':')[0] ?? ''))].sort();
    out.push(
      `- Data events were seen for ${services.map(code).join(', ')}, so their unused object-, item- and message-level grants are removed or narrowed; trails often log data events for some buckets, tables or queues only: check ${judgedDataPlane.length === 1 ? 'that grant' : `those ${judgedDataPlane.length} grants`} before merging.`,
    );
  }
  if (facts.unmappedEvents > 0)
    out.push(
      `- ${facts.unmappedEvents} events could not be mapped to an IAM action; what they needed is not in this proposal's evidence.`,
    );
  out.push(
    '- Actions CloudTrail never logs, and anything done before the window (yearly jobs, disaster recovery): check the removed list for them.',
    '- Conditions the logs do not show (source IP, tags): statements that grant only under conditions are kept with them.',
  );

  out.push(
    '',
    '### How to opt out',
    '',
    `- Keep a statement: give it a Sid matching ${code(facts.keepSidPattern)} (for example ${code('KeepBreakGlass')}); it is carried over untouched.`,
    `- Grants added to the file in the last ${facts.graceDays} days are kept until they are older.`,
    '- Close this pull request: the same proposal is not opened again; a changed one is.',
    `- Stop proposals for this ${entry.kind}: remove its entry from ${code(facts.configPath)}.`,
  );

  const previous = JSON.stringify(facts.previous, null, 2);
  const longest = Math.max(2, ...(previous.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const rollback = [
    '',
    '### Rollback',
    '',
    'Revert this pull request, or restore the previous policy:',
    '',
    '<details><summary>Previous policy</summary>',
    '',
    `${fence}json`,
    previous,
    fence,
    '',
    '</details>',
  ];
  const body = `${out.join('\n')}\n`;
  const withRollback = `${body}${rollback.join('\n')}\n`;
  if (withRollback.length <= bodyLimit) return withRollback;
  const note =
    '\n### Rollback\n\nRevert this pull request; the previous policy is in the base branch (too large to show here).\n';
  return body.length + note.length <= bodyLimit
    ? `${body}${note}`
    : `${body.slice(0, bodyLimit - note.length - 30)}\n\n… (cut to fit)\n${note}`;
}

/**
 * A hidden line at the end of a body that names the proposal it holds (a digest of the proposed file), so a
 * proposal that was declined is known again after its branch was deleted.
 */
export function proposalMarker(proposal: string): string {
  return `<!-- iamgen proposal ${proposal} -->\n`;
}

/** The proposal a body names, if it has the marker. */
export function proposalOf(body: string | null | undefined): string | undefined {
  return /<!-- iamgen proposal ([0-9a-f]+) -->/.exec(body ?? '')?.[1];
}

/** The pull request title from the config's template. */
export function pullRequestTitle(template: string, facts: Pick<ProposalFacts, 'entry' | 'diff'>): string {
  const values: Readonly<Record<string, string>> = {
    principal: facts.entry.name,
    kind: facts.entry.kind,
    file: facts.entry.file,
    reduction: String(facts.diff.reductionPercent),
  };
  return template.replace(/\{(principal|kind|file|reduction)\}/g, (_, key: string) => values[key] ?? '');
}
