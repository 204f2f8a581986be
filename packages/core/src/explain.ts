import type { ObservedAccess } from './access-set.js';
import { compareCodePoints, getOrCreate } from './collections.js';
import { codeSpan, markdownText } from './diff/markdown.js';
import { evaluate } from './evaluate/evaluate.js';
import { wildcardMatch } from './evaluate/wildcard.js';
import type { Generalization } from './generalize/index.js';
import type { ParameterPlan } from './parameterize.js';
import { environmentsOf, parameterizeResource } from './parameterize.js';
import type { PolicyDocument, PolicyStatement } from './policy-document.js';

/** One (action, resource) the statement allowed, with how often and one event that needed it. */
export interface EvidenceSample {
  readonly action: string;
  readonly resource: string;
  readonly events: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly sampleEventId?: string;
}

/** Why a statement is in the policy: the observed calls it allows and the generalizations behind it. */
export interface StatementEvidence {
  /** 1-based document number, as the documents are printed. */
  readonly document: number;
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly events: number;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  /** The (action, resource) pairs, all of them up to `listedSamples`; else the busiest, in the same order. */
  readonly samples: readonly EvidenceSample[];
  /** The pairs left out of `samples`, and their events: the totals above count them. */
  readonly unlisted?: { readonly pairs: number; readonly events: number };
  readonly generalizations: readonly Generalization[];
}

/**
 * Pairs listed per statement. A role that writes a new object per event has as many pairs as events: listing them
 * all made reports of hundreds of megabytes, which the run had to hold in memory, and no reader goes through.
 */
const listedSamples = 100;

function asList(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/**
 * Lays each observed access against the statements that allow it (with the IAM evaluator, so patterns,
 * conditions and parameter references count as IAM reads them) and sums the evidence per statement.
 */
export function explainStatements(
  documents: readonly PolicyDocument[],
  observed: readonly ObservedAccess[],
  generalizations: readonly Generalization[],
  plan?: ParameterPlan,
  listed = listedSamples,
): StatementEvidence[] {
  const environments = plan === undefined ? [{}] : environmentsOf(plan);
  const byAction = new Map<string, ObservedAccess[]>();
  for (const entry of observed) getOrCreate(byAction, entry.access.action, () => []).push(entry);
  const evidence: StatementEvidence[] = [];
  documents.forEach((document, index) => {
    for (const statement of document.Statement) {
      if (statement.Effect !== 'Allow') continue;
      evidence.push(explainStatement(index + 1, statement, byAction, environments, generalizations, plan, listed));
    }
  });
  return evidence;
}

function explainStatement(
  document: number,
  statement: PolicyStatement,
  byAction: ReadonlyMap<string, readonly ObservedAccess[]>,
  environments: readonly Record<string, string>[],
  generalizations: readonly Generalization[],
  plan: ParameterPlan | undefined,
  listed: number,
): StatementEvidence {
  const actions = asList(statement.Action);
  const resources = asList(statement.Resource);
  const single: PolicyDocument[] = [{ Version: '2012-10-17', Statement: [statement] }];
  const samples = new Map<string, EvidenceSample>();
  // Most resources are exact ARNs: a set lookup decides those, the evaluator only patterns and conditions.
  const exact = new Set(resources);
  const patterned = resources.some((r) => /[*?$]/.test(r));
  const conditional = statement.Condition !== undefined;
  // Without a condition or a policy variable, the evaluator allows exactly what a resource pattern matches, whatever
  // the request's context: matched directly, a pattern over a million objects costs a fraction of evaluating each.
  const plainPatterns =
    !conditional && statement.NotResource === undefined && !resources.some((resource) => resource.includes('${'));
  for (const action of actions) {
    for (const entry of byAction.get(action) ?? []) {
      const { access } = entry;
      const listed = exact.has(access.resource);
      if (!listed && !patterned) continue;
      if (listed && !conditional) {
        addSample(samples, entry);
        continue;
      }
      const allowed = plainPatterns
        ? resources.some((pattern) => wildcardMatch(pattern, access.resource))
        : environments.some(
            (binding) =>
              evaluate(single, { action, resource: access.resource, context: { ...binding, ...access.context } })
                .decision === 'allow',
          );
      if (allowed) addSample(samples, entry);
    }
  }
  const list = [...samples.values()].sort(
    (a, b) => compareCodePoints(a.action, b.action) || compareCodePoints(a.resource, b.resource),
  );
  const firstSeen = list.reduce<string | undefined>(
    (min, s) => (s.firstSeen !== undefined && (min === undefined || s.firstSeen < min) ? s.firstSeen : min),
    undefined,
  );
  const lastSeen = list.reduce<string | undefined>(
    (max, s) => (s.lastSeen !== undefined && (max === undefined || s.lastSeen > max) ? s.lastSeen : max),
    undefined,
  );
  const applied = generalizations.filter((g) =>
    resources.includes(plan === undefined ? g.into : parameterizeResource(g.into, plan)),
  );
  const events = list.reduce((sum, s) => sum + s.events, 0);
  const shown = busiest(list, listed);
  const unlistedEvents = events - shown.reduce((sum, s) => sum + s.events, 0);
  return {
    document,
    sid: statement.Sid ?? '',
    actions,
    resources,
    events,
    ...(firstSeen === undefined ? {} : { firstSeen }),
    ...(lastSeen === undefined ? {} : { lastSeen }),
    samples: shown,
    ...(shown.length === list.length
      ? {}
      : { unlisted: { pairs: list.length - shown.length, events: unlistedEvents } }),
    generalizations: applied,
  };
}

/**
 * The `count` samples with the most events (ties: the earlier in `list`), in the order of `list`: the events of the
 * `count`-th busiest decide, found by sorting the counts alone.
 */
function busiest(list: readonly EvidenceSample[], count: number): readonly EvidenceSample[] {
  if (list.length <= count) return list;
  const counts = Float64Array.from(list, (s) => s.events).sort();
  const bar = counts[counts.length - count] as number;
  let atBar = count - list.filter((s) => s.events > bar).length;
  return list.filter((s) => s.events > bar || (s.events === bar && atBar-- > 0));
}

/** Accesses that differ only by condition context share one sample: the earliest event among them. */
function addSample(samples: Map<string, EvidenceSample>, entry: ObservedAccess): void {
  const key = `${entry.access.action}\u0000${entry.access.resource}`;
  const current = samples.get(key);
  const first = minDefined(current?.firstSeen, entry.firstSeen);
  const last = maxDefined(current?.lastSeen, entry.lastSeen);
  const earlier =
    current === undefined ||
    current.sampleEventId === undefined ||
    (entry.firstSeen !== undefined && (current.firstSeen === undefined || entry.firstSeen < current.firstSeen));
  const sampleEventId = earlier && entry.sampleEventId !== undefined ? entry.sampleEventId : current?.sampleEventId;
  samples.set(key, {
    action: entry.access.action,
    resource: entry.access.resource,
    events: (current?.events ?? 0) + entry.count,
    ...(first === undefined ? {} : { firstSeen: first }),
    ...(last === undefined ? {} : { lastSeen: last }),
    ...(sampleEventId === undefined ? {} : { sampleEventId }),
  });
}

function minDefined(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a < b ? a : b;
}

function maxDefined(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : a > b ? a : b;
}

function unlistedLine(unlisted: { pairs: number; events: number }): string {
  return `${unlisted.pairs} more (action, resource) pairs with ${unlisted.events} events, not listed: the busiest are shown`;
}

function seen(first: string | undefined, last: string | undefined): string {
  if (first === undefined) return 'time unknown';
  return first === last || last === undefined ? first : `${first} – ${last}`;
}

function describeGeneralization(g: Generalization): string {
  return `${g.rule}: ${g.into} (covers ${g.replaced} observed)`;
}

/** Plain text for stderr: one line per statement, then one per (action, resource) and generalization. */
export function renderExplanationText(evidence: readonly StatementEvidence[]): string {
  const lines: string[] = [];
  for (const s of evidence) {
    lines.push(
      `${s.sid} (document ${s.document}): ${s.actions.join(', ')} on ${s.resources.length} resource${s.resources.length === 1 ? '' : 's'}; ${s.events} events, ${seen(s.firstSeen, s.lastSeen)}`,
    );
    for (const sample of s.samples) {
      lines.push(
        `  ${sample.action} ${sample.resource}: ${sample.events} events, ${seen(sample.firstSeen, sample.lastSeen)}, sample event ${sample.sampleEventId ?? 'unknown'}`,
      );
    }
    if (s.unlisted !== undefined) lines.push(`  ${unlistedLine(s.unlisted)}`);
    for (const g of s.generalizations) lines.push(`  generalized ${describeGeneralization(g)}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Text from logs (resources, event ids) in a table cell: nothing in it may become markup or split the row. */
function cell(text: string): string {
  return markdownText(text);
}

/** Markdown for `--explain FILE`: a section per statement with a table of its evidence. */
export function renderExplanationMarkdown(title: string, evidence: readonly StatementEvidence[]): string {
  const out: string[] = [`# ${title}`, ''];
  if (evidence.length === 0) out.push('The policy has no statements.', '');
  for (const s of evidence) {
    out.push(`## ${s.sid}`, '');
    out.push(`Document ${s.document}. ${s.events} events, ${seen(s.firstSeen, s.lastSeen)}.`, '');
    out.push(`- Actions: ${s.actions.map(codeSpan).join(', ')}`);
    out.push(`- Resources: ${s.resources.map(codeSpan).join(', ')}`);
    for (const g of s.generalizations) out.push(`- Generalized: ${cell(describeGeneralization(g))}`);
    out.push(
      '',
      '| action | resource | events | first seen | last seen | sample event |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const sample of s.samples) {
      out.push(
        `| ${cell(sample.action)} | ${cell(sample.resource)} | ${sample.events} | ${sample.firstSeen ?? ''} | ${sample.lastSeen ?? ''} | ${cell(sample.sampleEventId ?? '')} |`,
      );
    }
    if (s.unlisted !== undefined) out.push('', unlistedLine(s.unlisted));
    out.push('');
  }
  return `${out.join('\n')}`;
}
