import type {
  AddedCompanion,
  DataEventGap,
  GrantToNarrow,
  PrincipalAnalysis,
  ShapedPolicy,
  StatementEvidence,
  TrailAnalysis,
} from '@iamgen/core';
import { compareCodePoints } from '@iamgen/core';
import type { CacheStats } from './cache.js';
import type { ReadContext } from './principal-policy.js';
import type { AthenaRunSummary } from './sources/athena-query.js';

export interface RunReport {
  readonly principal: { readonly selector: string; readonly matchedArns: readonly string[] };
  readonly window: { readonly since?: string; readonly until?: string };
  readonly counts: {
    readonly files: number;
    readonly unreadableFiles: number;
    readonly eventsRead: number;
    readonly malformedRecords: number;
    /** Records whose raw text named no selected principal, counted without being parsed. */
    readonly prefiltered: number;
    /** Events of any principal without a usable eventTime (missing, or not a time): present only when some were. */
    readonly untimedEvents?: number;
    readonly matched: number;
    readonly mapped: number;
    readonly denied: number;
    readonly unmapped: number;
    readonly skipped: Readonly<Record<string, number>>;
  };
  /** `not-in-source`: every source was one that cannot hold data events (LookupEvents). */
  readonly dataEvents: 'seen' | 'none-seen' | 'not-in-source';
  readonly unmapped: readonly {
    eventSource: string;
    eventName: string;
    count: number;
    reason: string;
    example: string;
  }[];
  readonly denied: readonly {
    eventSource: string;
    eventName: string;
    errorCode: string;
    actions: readonly string[];
    resources: readonly string[];
    count: number;
    example: string;
  }[];
  readonly resourceUnknown: readonly { action: string; events: number }[];
  readonly generalizations: ShapedPolicy['generalizations'];
  readonly policy?: {
    readonly documents: number;
    readonly statements: number;
    readonly sizes: readonly number[];
    readonly limit: number;
    readonly split: boolean;
    readonly maxDocuments: number;
    readonly attachable: boolean;
  };
  readonly coverage?: { readonly checked: number; readonly allowed: number };
  /** Calls CloudTrail does not log that the policy adds, implied by logged ones. */
  readonly unloggedCompanions?: readonly AddedCompanion[];
  /** Privilege-escalation grants left at the account's `role/*`: a person must narrow them. */
  readonly grantsToNarrow?: readonly GrantToNarrow[];
  /** Services used whose data-plane calls the source does not show. */
  readonly dataEventGaps?: readonly DataEventGap[];
  /** Every statement with its evidence: events, first/last seen, a sample event per (action, resource). */
  readonly statements?: readonly StatementEvidence[];
  /**
   * `--parameterize`/`--stage-token`: the literal values each reference stands for; `inPolicy` false when the
   * format (JSON, YAML) keeps the literals.
   */
  readonly parameters?: {
    readonly inPolicy: boolean;
    readonly values: Readonly<Record<string, readonly string[]>>;
    /** The stage each account's names carry (`${Stage}` there); accounts with no clear stage are left out. */
    readonly stageOfAccount: Readonly<Record<string, string>>;
    readonly notes: readonly string[];
  };
  readonly cache?: CacheStats;
  readonly problems: readonly string[];
  /** The Athena query the events came from, when they came from one. */
  readonly athena?: AthenaRunSummary;
}

export function buildReport(
  read: TrailAnalysis,
  analysis: PrincipalAnalysis,
  context: ReadContext,
  shaped: ShapedPolicy | undefined,
): RunReport {
  const r = read.counts;
  const c = analysis.counts;
  const matchedArns = [...analysis.matchedPrincipals].sort(compareCodePoints);
  const window: { since?: string; until?: string } = {};
  if (context.since !== undefined) window.since = context.since;
  if (context.until !== undefined) window.until = context.until;
  const report: RunReport = {
    principal: { selector: analysis.target.label, matchedArns },
    window,
    counts: {
      files: context.files,
      unreadableFiles: r.unreadableFiles,
      eventsRead: r.recordsRead,
      malformedRecords: r.malformedRecords,
      prefiltered: r.prefiltered,
      ...(read.span.untimed > 0 ? { untimedEvents: read.span.untimed } : {}),
      matched: c.matched,
      mapped: c.mapped,
      denied: c.denied,
      unmapped: c.unmapped,
      skipped: {
        'outside-window': r.outsideWindow,
        'other-principal': r.recordsRead - r.malformedRecords - r.outsideWindow - c.matched,
        ...Object.fromEntries(Object.entries(c.notAuthorization).sort(([a], [b]) => compareCodePoints(a, b))),
      },
    },
    dataEvents: analysis.sawDataEvents ? 'seen' : context.dataEventsPossible ? 'none-seen' : 'not-in-source',
    unmapped: [...analysis.unmappedPairs.values()]
      .map(({ eventSource, eventName, count, reason, example }) => ({ eventSource, eventName, count, reason, example }))
      .sort((a, b) => b.count - a.count || compareCodePoints(a.eventSource + a.eventName, b.eventSource + b.eventName)),
    denied: [...analysis.deniedCalls.values()]
      .map((d) => ({ ...d }))
      .sort((a, b) => b.count - a.count || compareCodePoints(a.example, b.example)),
    resourceUnknown: [...analysis.resourceUnknown]
      .map(([action, events]) => ({ action, events }))
      .sort((a, b) => compareCodePoints(a.action, b.action)),
    generalizations: shaped?.generalizations ?? [],
    ...(context.cache === undefined ? {} : { cache: context.cache }),
    problems: read.problems.map((p) => p.message),
    ...(context.athena === undefined ? {} : { athena: context.athena }),
  };
  if (shaped === undefined) return report;
  return {
    ...report,
    policy: {
      documents: shaped.documents.length,
      statements: shaped.statementCount,
      sizes: shaped.sizes,
      limit: shaped.limit,
      split: shaped.documents.length > 1,
      maxDocuments: shaped.maxDocuments,
      attachable: shaped.attachable,
    },
  };
}

/** The few lines a person reads on a terminal after a run. */
export function summaryLines(report: RunReport): string[] {
  const c = report.counts;
  const skipped = Object.entries(c.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  const lines = [
    `read ${c.files} files, ${c.eventsRead} events${c.unreadableFiles + c.malformedRecords > 0 ? ` (${c.unreadableFiles} unreadable files, ${c.malformedRecords} malformed records skipped)` : ''}`,
    `${report.principal.selector}: ${c.matched} events matched, ${c.mapped} mapped, ${c.denied} denied, ${c.unmapped} unmapped`,
  ];
  if (skipped !== '') lines.push(`skipped: ${skipped}`);
  if (report.policy !== undefined) {
    lines.push(
      `policy: ${report.policy.statements} statements in ${report.policy.documents} document${report.policy.documents > 1 ? 's' : ''} (${report.policy.sizes.join(', ')} of ${report.policy.limit} characters)`,
    );
  }
  if (report.coverage !== undefined) {
    lines.push(`coverage: ${report.coverage.allowed} of ${report.coverage.checked} observed accesses allowed`);
  }
  if (report.dataEvents === 'none-seen') {
    lines.push('no data events in the input: object-, item- and invoke-level use is unknown, not unused');
  }
  if (report.dataEvents === 'not-in-source') {
    lines.push('LookupEvents returns no data events: object-, item- and invoke-level use is unknown, not unused');
  }
  return lines;
}
