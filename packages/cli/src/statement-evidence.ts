import type { ObservedAccess, PolicyStatement } from '@iamgen/core';
import { evaluate } from '@iamgen/core';

/** What the logs show for one statement of a policy: the calls it allowed, when, and one event to look up. */
export interface StatementEvidence {
  readonly sid: string;
  readonly actions: readonly string[];
  /** Events whose accesses the statement allows. */
  readonly events: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** `eventID` of one such event (of the most recently used access). */
  readonly sampleEventId?: string;
}

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/**
 * Evidence per statement, in statement order. A statement's conditions are set aside when matching: the logs carry
 * only some condition keys, and evidence should show use, not re-run the proof. Deny statements have none.
 */
export function statementEvidence(
  statements: readonly PolicyStatement[],
  observed: readonly ObservedAccess[],
): StatementEvidence[] {
  return statements.map((statement, index) => {
    const { Condition: _ignored, ...unconditional } = statement;
    const document = { Version: '2012-10-17' as const, Statement: [unconditional] };
    const uses =
      statement.Effect === 'Allow'
        ? observed.filter((o) => {
            const { action, resource, context } = o.access;
            const request = context === undefined ? { action, resource } : { action, resource, context };
            return evaluate([document], request).decision === 'allow';
          })
        : [];
    let events = 0;
    let firstSeen: string | undefined;
    let lastSeen: string | undefined;
    let sample: string | undefined;
    let sampleSeen: string | undefined;
    for (const use of uses) {
      events += use.count;
      if (use.firstSeen !== undefined && (firstSeen === undefined || use.firstSeen < firstSeen))
        firstSeen = use.firstSeen;
      if (use.lastSeen !== undefined && (lastSeen === undefined || use.lastSeen > lastSeen)) lastSeen = use.lastSeen;
      const seen = use.lastSeen ?? '';
      if (use.sampleEventId !== undefined && (sample === undefined || seen > (sampleSeen ?? ''))) {
        sample = use.sampleEventId;
        sampleSeen = seen;
      }
    }
    return {
      sid: statement.Sid ?? `statement ${index + 1}`,
      actions: asList(statement.Action ?? statement.NotAction),
      events,
      ...(firstSeen === undefined ? {} : { firstSeen }),
      ...(lastSeen === undefined ? {} : { lastSeen }),
      ...(sample === undefined ? {} : { sampleEventId: sample }),
    };
  });
}

/** One line per statement for `from-trail --explain`. */
export function explainLines(evidence: readonly StatementEvidence[]): string[] {
  return evidence.map((e) => {
    const actions =
      e.actions.length > 3 ? `${e.actions.slice(0, 3).join(', ')} +${e.actions.length - 3}` : e.actions.join(', ');
    const when = e.firstSeen === undefined ? '' : `, ${e.firstSeen} … ${e.lastSeen ?? e.firstSeen}`;
    const sample = e.sampleEventId === undefined ? '' : `, e.g. event ${e.sampleEventId}`;
    return `${e.sid}: ${actions}: ${e.events} events${when}${sample}`;
  });
}
