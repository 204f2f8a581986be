import { AccessSet } from './access-set.js';
import type { Principal, PrincipalSelector } from './attribute.js';
import { nonAuthorizationReason, principalOf, selectorMatches } from './attribute.js';
import type { IamCatalog } from './iam-catalog.js';
import { mapEvent } from './mapping/index.js';
import { isIssue, normalizeRecord } from './normalize.js';
import type { Access, Issue, Origin, TrailEvent } from './types.js';

export interface AnalysisOptions {
  /** Whose activity to map; without one the analysis only takes a census of principals. */
  readonly selector?: PrincipalSelector;
  /** Inclusive lower bound, ISO-8601. */
  readonly since?: string;
  /** Exclusive upper bound, ISO-8601. */
  readonly until?: string;
}

export interface PrincipalActivity {
  readonly arn: string;
  readonly kind: Principal['kind'];
  events: number;
  firstSeen?: string;
  lastSeen?: string;
}

export interface CountedPair {
  readonly eventSource: string;
  readonly eventName: string;
  readonly reason: string;
  count: number;
  /** First record where the pair was met. */
  readonly example: string;
}

export interface DeniedCall {
  readonly eventSource: string;
  readonly eventName: string;
  readonly errorCode: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  count: number;
  readonly example: string;
}

export interface AnalysisCounts {
  recordsRead: number;
  unreadableFiles: number;
  malformedRecords: number;
  outsideWindow: number;
  otherPrincipals: number;
  matched: number;
  notAuthorization: Record<string, number>;
  mapped: number;
  unmapped: number;
  denied: number;
}

/** How many detailed examples of each problem a report keeps; counts are always complete. */
const keptExamples = 200;

/**
 * The streaming heart of `from-trail`: records go in one at a time, only the distinct accesses and
 * counters stay in memory. Raw events count 1; aggregated rows (Athena) pass their count.
 */
export class TrailAnalysis {
  readonly counts: AnalysisCounts = {
    recordsRead: 0,
    unreadableFiles: 0,
    malformedRecords: 0,
    outsideWindow: 0,
    otherPrincipals: 0,
    matched: 0,
    notAuthorization: {},
    mapped: 0,
    unmapped: 0,
    denied: 0,
  };
  readonly granted = new AccessSet();
  readonly deniedAccesses = new AccessSet();
  readonly principals = new Map<string, PrincipalActivity>();
  /** ARNs of the principals the selector matched (a name can match roles in several accounts). */
  readonly matchedPrincipals = new Set<string>();
  readonly unmappedPairs = new Map<string, CountedPair>();
  readonly deniedCalls = new Map<string, DeniedCall>();
  /** Action → number of events whose resource could not be named. */
  readonly resourceUnknown = new Map<string, number>();
  /** Problems worth showing line by line (bad files, malformed records), capped at `keptExamples`. */
  readonly problems: Issue[] = [];
  /** Whether any matched event was a data event (S3 object, Lambda Invoke, DynamoDB item…). */
  sawDataEvents = false;

  readonly #catalog: IamCatalog;
  readonly #options: AnalysisOptions;

  constructor(catalog: IamCatalog, options: AnalysisOptions) {
    this.#catalog = catalog;
    this.#options = options;
  }

  /** A problem met while reading (unreadable file, bad line). */
  addIssue(issue: Issue): void {
    if (issue.kind === 'unreadable-file') this.counts.unreadableFiles += 1;
    else if (issue.kind === 'malformed-record') {
      this.counts.recordsRead += 1;
      this.counts.malformedRecords += 1;
    }
    this.#keep(issue);
  }

  addRecord(record: unknown, origin: Origin, count = 1): void {
    const event = normalizeRecord(record, origin);
    if (isIssue(event)) {
      this.addIssue(event);
      return;
    }
    this.addEvent(event, count);
  }

  addEvent(event: TrailEvent, count = 1): void {
    this.counts.recordsRead += count;
    if (!this.#inWindow(event.eventTime)) {
      this.counts.outsideWindow += count;
      return;
    }
    const principal = principalOf(event);
    this.#notePrincipal(principal, event, count);
    if (this.#options.selector === undefined || !selectorMatches(this.#options.selector, principal)) {
      this.counts.otherPrincipals += count;
      return;
    }
    this.matchedPrincipals.add(principal.arn);
    this.counts.matched += count;
    const skipped = nonAuthorizationReason(event, principal);
    if (skipped !== undefined) {
      this.#countNotAuthorization(skipped, count);
      return;
    }
    if (event.eventCategory === 'Data' || event.managementEvent === false) this.sawDataEvents = true;
    const outcome = mapEvent(event, this.#catalog);
    switch (outcome.kind) {
      case 'not-authorization':
        this.#countNotAuthorization(outcome.reason, count);
        return;
      case 'unmapped':
        this.counts.unmapped += count;
        this.#countPair(event, outcome.reason, count);
        return;
      case 'denied':
        this.counts.denied += count;
        this.#countDenied(event, outcome.errorCode, outcome.accesses, count);
        for (const access of outcome.accesses) this.deniedAccesses.add(access, count, event.eventTime);
        return;
      case 'mapped':
        this.counts.mapped += count;
        for (const access of outcome.accesses) {
          this.granted.add(access, count, event.eventTime);
          if (access.resourceUnknown === true)
            this.resourceUnknown.set(access.action, (this.resourceUnknown.get(access.action) ?? 0) + count);
        }
        return;
    }
  }

  #inWindow(eventTime: string | undefined): boolean {
    if (eventTime === undefined) return this.#options.since === undefined && this.#options.until === undefined;
    if (this.#options.since !== undefined && eventTime < this.#options.since) return false;
    if (this.#options.until !== undefined && eventTime >= this.#options.until) return false;
    return true;
  }

  #notePrincipal(principal: Principal, event: TrailEvent, count: number): void {
    let activity = this.principals.get(principal.arn);
    if (activity === undefined) {
      activity = { arn: principal.arn, kind: principal.kind, events: 0 };
      this.principals.set(principal.arn, activity);
    }
    activity.events += count;
    const at = event.eventTime;
    if (at !== undefined) {
      if (activity.firstSeen === undefined || at < activity.firstSeen) activity.firstSeen = at;
      if (activity.lastSeen === undefined || at > activity.lastSeen) activity.lastSeen = at;
    }
  }

  #countNotAuthorization(reason: string, count: number): void {
    this.counts.notAuthorization[reason] = (this.counts.notAuthorization[reason] ?? 0) + count;
  }

  #countPair(event: TrailEvent, reason: string, count: number): void {
    const key = `${event.eventSource}\u0000${event.eventName}`;
    const pair = this.unmappedPairs.get(key);
    if (pair !== undefined) pair.count += count;
    else
      this.unmappedPairs.set(key, {
        eventSource: event.eventSource,
        eventName: event.eventName,
        reason,
        count,
        example: describe(event),
      });
  }

  #countDenied(event: TrailEvent, errorCode: string, accesses: readonly Access[], count: number): void {
    const actions = [...new Set(accesses.map((a) => a.action))].sort();
    const resources = [...new Set(accesses.map((a) => a.resource))].sort();
    const key = `${actions.join(',')}\u0000${resources.join(',')}\u0000${errorCode}`;
    const call = this.deniedCalls.get(key);
    if (call !== undefined) call.count += count;
    else
      this.deniedCalls.set(key, {
        eventSource: event.eventSource,
        eventName: event.eventName,
        errorCode,
        actions,
        resources,
        count,
        example: describe(event),
      });
  }

  #keep(issue: Issue): void {
    if (this.problems.length < keptExamples) this.problems.push(issue);
  }
}

function describe(event: TrailEvent): string {
  return event.origin.index === undefined
    ? event.origin.source
    : `${event.origin.source} record ${event.origin.index + 1}`;
}
