import type { AccessSetState, Sighting } from './access-set.js';
import { AccessSet } from './access-set.js';
import type { NonAuthorizationReason, Principal } from './attribute.js';
import { nonAuthorizationReason, principalOf } from './attribute.js';
import { getOrCreate } from './collections.js';
import type { IamCatalog } from './iam-catalog.js';
import type { MappingOutcome } from './mapping/index.js';
import { mapEvent, mappingCacheKey } from './mapping/index.js';
import { describeOrigin, isIssue, normalizeEventTime, normalizeRecord } from './normalize.js';
import type { PrincipalSelection, PrincipalTarget } from './selection.js';
import { emptySelection, exclusionFromAll, isGlob, selectorTarget, targetsOf } from './selection.js';
import type { Access, Issue, Origin, TrailEvent } from './types.js';

export interface AnalysisOptions {
  /** Whose activity to map; without one the analysis only takes a census of principals. */
  readonly selection?: PrincipalSelection;
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

/** What the read itself met, whoever the records belonged to. */
export interface ReadCounts {
  recordsRead: number;
  unreadableFiles: number;
  malformedRecords: number;
  outsideWindow: number;
  /** Records whose raw text showed they belong to no selected principal, so they were never parsed. */
  prefiltered: number;
}

/** What one principal's records came to. */
export interface PrincipalCounts {
  matched: number;
  notAuthorization: Record<string, number>;
  mapped: number;
  unmapped: number;
  denied: number;
}

/** How many detailed examples of each problem a report keeps; counts are always complete. */
const keptExamples = 200;

/** One selected principal's fold: its distinct accesses, what was skipped and why, and the evidence. */
export class PrincipalAnalysis {
  readonly counts: PrincipalCounts = { matched: 0, notAuthorization: {}, mapped: 0, unmapped: 0, denied: 0 };
  readonly granted = new AccessSet();
  readonly deniedAccesses = new AccessSet();
  /** ARNs of the principals this analysis took records from (a name can match roles in several accounts). */
  readonly matchedPrincipals = new Set<string>();
  readonly unmappedPairs = new Map<string, CountedPair>();
  readonly deniedCalls = new Map<string, DeniedCall>();
  /** Action → number of events whose resource could not be named. */
  readonly resourceUnknown = new Map<string, number>();
  /** Whether any matched event was a data event (S3 object, Lambda Invoke, DynamoDB item…). */
  sawDataEvents = false;

  constructor(readonly target: PrincipalTarget) {}

  /** One event (or row) of a prepared call; `notAuthorization` says why it needs no permission, null when it does. */
  fold(
    event: TrailEvent,
    principal: Principal,
    notAuthorization: NonAuthorizationReason | null,
    outcome: () => MappingOutcome,
    sighting: Sighting,
    origin: Origin = event.origin,
  ): void {
    const count = sighting.count;
    this.matchedPrincipals.add(principal.arn);
    this.counts.matched += count;
    if (notAuthorization !== null) {
      this.#countNotAuthorization(notAuthorization, count);
      return;
    }
    if (event.eventCategory === 'Data' || event.managementEvent === false) this.sawDataEvents = true;
    const mapped = outcome();
    switch (mapped.kind) {
      case 'not-authorization':
        this.#countNotAuthorization(mapped.reason, count);
        return;
      case 'unmapped':
        this.counts.unmapped += count;
        this.#countPair(event, mapped.reason, count, origin);
        return;
      case 'denied':
        this.counts.denied += count;
        this.#countDenied(event, mapped.errorCode, mapped.accesses, count, origin);
        for (const access of mapped.accesses) this.deniedAccesses.add(access, sighting);
        return;
      case 'mapped':
        this.counts.mapped += count;
        for (const access of mapped.accesses) {
          this.granted.add(access, sighting);
          if (access.resourceUnknown === true)
            this.resourceUnknown.set(access.action, (this.resourceUnknown.get(access.action) ?? 0) + count);
        }
        return;
    }
  }

  state(): PrincipalAnalysisState {
    return {
      target: this.target,
      counts: this.counts,
      granted: this.granted.state(),
      deniedAccesses: this.deniedAccesses.state(),
      matchedPrincipals: [...this.matchedPrincipals],
      unmappedPairs: [...this.unmappedPairs],
      deniedCalls: [...this.deniedCalls],
      resourceUnknown: [...this.resourceUnknown],
      sawDataEvents: this.sawDataEvents,
    };
  }

  /** Adds what another read of other records found; examples already kept here stay (they came first). */
  merge(state: PrincipalAnalysisState): void {
    const c = this.counts;
    c.matched += state.counts.matched;
    c.mapped += state.counts.mapped;
    c.unmapped += state.counts.unmapped;
    c.denied += state.counts.denied;
    for (const [reason, n] of Object.entries(state.counts.notAuthorization)) this.#countNotAuthorization(reason, n);
    this.granted.merge(state.granted);
    this.deniedAccesses.merge(state.deniedAccesses);
    for (const arn of state.matchedPrincipals) this.matchedPrincipals.add(arn);
    for (const [key, pair] of state.unmappedPairs) {
      const mine = this.unmappedPairs.get(key);
      if (mine === undefined) this.unmappedPairs.set(key, { ...pair });
      else mine.count += pair.count;
    }
    for (const [key, call] of state.deniedCalls) {
      const mine = this.deniedCalls.get(key);
      if (mine === undefined) this.deniedCalls.set(key, { ...call });
      else mine.count += call.count;
    }
    for (const [action, n] of state.resourceUnknown) {
      this.resourceUnknown.set(action, (this.resourceUnknown.get(action) ?? 0) + n);
    }
    this.sawDataEvents ||= state.sawDataEvents;
  }

  #countNotAuthorization(reason: string, count: number): void {
    this.counts.notAuthorization[reason] = (this.counts.notAuthorization[reason] ?? 0) + count;
  }

  #countPair(event: TrailEvent, reason: string, count: number, origin: Origin): void {
    const key = `${event.eventSource}\u0000${event.eventName}`;
    const pair = this.unmappedPairs.get(key);
    if (pair !== undefined) pair.count += count;
    else
      this.unmappedPairs.set(key, {
        eventSource: event.eventSource,
        eventName: event.eventName,
        reason,
        count,
        example: describeOrigin(origin),
      });
  }

  #countDenied(event: TrailEvent, errorCode: string, accesses: readonly Access[], count: number, origin: Origin): void {
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
        example: describeOrigin(origin),
      });
  }
}

export interface PrincipalAnalysisState {
  readonly target: PrincipalTarget;
  readonly counts: PrincipalCounts;
  readonly granted: AccessSetState;
  readonly deniedAccesses: AccessSetState;
  readonly matchedPrincipals: readonly string[];
  readonly unmappedPairs: readonly (readonly [string, CountedPair])[];
  readonly deniedCalls: readonly (readonly [string, DeniedCall])[];
  readonly resourceUnknown: readonly (readonly [string, number])[];
  readonly sawDataEvents: boolean;
}

/** When the parsed events happened: what tells whether a read without a window stands for a read with one. */
export interface EventSpan {
  first?: string;
  last?: string;
  /** Parsed events with no usable time (a window leaves them out). */
  untimed: number;
}

/** Everything one read found, as plain data: what a worker sends back and a cache file holds. */
export interface TrailAnalysisState {
  readonly counts: ReadCounts;
  readonly span: EventSpan;
  readonly principals: readonly PrincipalActivity[];
  readonly excludedFromAll: readonly (readonly [string, string])[];
  readonly problems: readonly Issue[];
  readonly analyses: readonly PrincipalAnalysisState[];
}

/**
 * A call as read once and folded for every event that repeats it: the event without its time and id, who made it,
 * which analyses it feeds, and (once asked) its mapping. Valid for analyses of the same catalog and selection.
 */
export interface PreparedCall {
  readonly event: TrailEvent;
  readonly principal: Principal;
  readonly targets: readonly PrincipalTarget[];
  /** Why the call needs no permission of the principal (null: it does). */
  readonly notAuthorization: NonAuthorizationReason | null;
  outcome?: MappingOutcome;
}

/** What differs between events of the same call. */
export interface CallOccurrence {
  readonly eventTime?: string | undefined;
  readonly eventId?: string | undefined;
  readonly origin: Origin;
  readonly sighting?: Sighting | undefined;
}

/** Distinct calls remembered for mapping; far above the distinct calls of real roles, low enough to bound memory. */
const mappingCacheLimit = 20_000;
/**
 * Mappings by catalog, shared by every analysis of a thread: a read makes one analysis per file, and the calls of one
 * file mostly come back in the next. A mapping depends only on the event's mapped fields and on the catalog.
 */
const sharedMappings = new WeakMap<IamCatalog, Map<string, MappingOutcome>>();

function mappingsOf(catalog: IamCatalog): Map<string, MappingOutcome> {
  return getOrCreate(sharedMappings, catalog, () => new Map<string, MappingOutcome>());
}

/** Principals whose targets are remembered; an estate has thousands of roles at most. */
const targetCacheLimit = 10_000;

/**
 * The streaming heart of every read: records go in one at a time and each feeds the analyses of the selected
 * principals it belongs to; only distinct accesses and counters stay in memory. One read serves any number of
 * principals, and a principal's analysis is the same whether it was read alone or with others. Raw events count 1;
 * aggregated rows (Athena) pass their count and first/last time.
 */
export class TrailAnalysis {
  readonly counts: ReadCounts = {
    recordsRead: 0,
    unreadableFiles: 0,
    malformedRecords: 0,
    outsideWindow: 0,
    prefiltered: 0,
  };
  readonly span: EventSpan = { untimed: 0 };
  readonly principals = new Map<string, PrincipalActivity>();
  /** Principals `--all` left out, with the reason. */
  readonly excludedFromAll = new Map<string, string>();
  /** Problems worth showing line by line (bad files, malformed records), capped at `keptExamples`. */
  readonly problems: Issue[] = [];

  readonly #analyses = new Map<string, PrincipalAnalysis>();
  readonly #catalog: IamCatalog;
  readonly #selection: PrincipalSelection;
  /** The window in the form event times take (`…00.000Z`), so the string comparison is a time comparison. */
  readonly #since: string | undefined;
  readonly #until: string | undefined;
  readonly #mappings: Map<string, MappingOutcome>;
  readonly #targets = new Map<string, readonly PrincipalTarget[]>();

  constructor(catalog: IamCatalog, options: AnalysisOptions) {
    this.#catalog = catalog;
    this.#mappings = mappingsOf(catalog);
    this.#selection = options.selection ?? emptySelection;
    this.#since = normalizeEventTime(options.since);
    this.#until = normalizeEventTime(options.until);
    // Named principals have an analysis even when never seen, so "not seen" is a finding, not an absence.
    for (const selector of this.#selection.selectors) {
      if (!isGlob(selector.value)) this.#analysisOf(selectorTarget(selector));
    }
  }

  /** The selected principals' analyses, in a stable order (by key). */
  analyses(): PrincipalAnalysis[] {
    return [...this.#analyses.values()].sort((a, b) => (a.target.key < b.target.key ? -1 : 1));
  }

  analysis(key: string): PrincipalAnalysis | undefined {
    return this.#analyses.get(key);
  }

  /** A problem met while reading (unreadable file, bad line). */
  addIssue(issue: Issue): void {
    if (issue.kind === 'unreadable-file') this.counts.unreadableFiles += 1;
    else if (issue.kind === 'malformed-record') {
      this.counts.recordsRead += 1;
      this.counts.malformedRecords += 1;
    }
    if (this.problems.length < keptExamples) this.problems.push(issue);
  }

  /** Records skipped unparsed because their raw text cannot name a selected principal. */
  addPrefiltered(records: number): void {
    this.counts.recordsRead += records;
    this.counts.prefiltered += records;
  }

  addRecord(record: unknown, origin: Origin, sighting?: Sighting): void {
    const event = normalizeRecord(record, origin);
    if (isIssue(event)) {
      this.addIssue(event);
      return;
    }
    this.addEvent(event, sighting);
  }

  addEvent(event: TrailEvent, sighting?: Sighting): void {
    this.addCall(this.prepare(event), {
      eventTime: event.eventTime,
      eventId: event.eventId,
      origin: event.origin,
      sighting,
    });
  }

  /** Who made a call and which analyses it feeds: the part of reading an event that does not depend on when. */
  prepare(event: TrailEvent): PreparedCall {
    const principal = principalOf(event);
    return {
      event,
      principal,
      targets: this.#targetsOf(principal),
      notAuthorization: nonAuthorizationReason(event, principal) ?? null,
    };
  }

  /** One event of a prepared call (or an aggregated row of `sighting.count` of them). */
  addCall(call: PreparedCall, occurrence: CallOccurrence): void {
    const { sighting, eventTime } = occurrence;
    const seen: Sighting = {
      count: sighting?.count ?? 1,
      firstSeen: sighting?.firstSeen ?? eventTime,
      lastSeen: sighting?.lastSeen ?? eventTime,
      eventId: sighting?.eventId ?? occurrence.eventId,
      ...(sighting?.sampleSeen === undefined ? {} : { sampleSeen: sighting.sampleSeen }),
    };
    this.counts.recordsRead += seen.count;
    this.#noteSpan(seen.firstSeen, seen.lastSeen);
    if (!this.inWindow(eventTime)) {
      this.counts.outsideWindow += seen.count;
      return;
    }
    const { principal, targets, event } = call;
    this.#notePrincipal(principal, seen);
    if (targets.length === 0) {
      if (this.#selection.all) {
        const reason = exclusionFromAll(principal);
        if (reason !== undefined) this.excludedFromAll.set(principal.arn, reason);
      }
      return;
    }
    const mapOnce = () => {
      call.outcome ??= this.#map(event);
      return call.outcome;
    };
    for (const target of targets) {
      this.#analysisOf(target).fold(event, principal, call.notAuthorization, mapOnce, seen, occurrence.origin);
    }
  }

  state(): TrailAnalysisState {
    return {
      counts: this.counts,
      span: this.span,
      principals: [...this.principals.values()],
      excludedFromAll: [...this.excludedFromAll],
      problems: this.problems,
      analyses: [...this.#analyses.values()].map((a) => a.state()),
    };
  }

  /** Adds the findings of a read of later records (merging in read order keeps the kept examples stable). */
  merge(state: TrailAnalysisState): void {
    const c = this.counts;
    c.recordsRead += state.counts.recordsRead;
    c.unreadableFiles += state.counts.unreadableFiles;
    c.malformedRecords += state.counts.malformedRecords;
    c.outsideWindow += state.counts.outsideWindow;
    c.prefiltered += state.counts.prefiltered;
    this.span.untimed += state.span.untimed;
    if (state.span.first !== undefined) this.#noteSpan(state.span.first, state.span.last);
    for (const p of state.principals) {
      this.#notePrincipal(p, { count: p.events, firstSeen: p.firstSeen, lastSeen: p.lastSeen });
    }
    for (const [arn, reason] of state.excludedFromAll) this.excludedFromAll.set(arn, reason);
    for (const problem of state.problems) {
      if (this.problems.length < keptExamples) this.problems.push(problem);
    }
    for (const analysis of state.analyses) this.#analysisOf(analysis.target).merge(analysis);
  }

  /** Which analyses a principal feeds; the same for all its events, and worked out once per principal. */
  #targetsOf(principal: Principal): readonly PrincipalTarget[] {
    const key = `${principal.kind}\u0000${principal.arn}`;
    let targets = this.#targets.get(key);
    if (targets === undefined) {
      if (this.#targets.size >= targetCacheLimit) this.#targets.clear();
      targets = targetsOf(this.#selection, principal);
      this.#targets.set(key, targets);
    }
    return targets;
  }

  #analysisOf(target: PrincipalTarget): PrincipalAnalysis {
    return getOrCreate(this.#analyses, target.key, () => new PrincipalAnalysis(target));
  }

  /** Many events are the same call (same principal, operation and parameters): map each distinct call once. */
  #map(event: TrailEvent): MappingOutcome {
    const key = mappingCacheKey(event);
    // Too deep to serialize (hostile nesting in request parameters): mapped on its own, not cached.
    if (key === undefined) return mapEvent(event, this.#catalog);
    let outcome = this.#mappings.get(key);
    if (outcome === undefined) {
      outcome = mapEvent(event, this.#catalog);
      if (this.#mappings.size >= mappingCacheLimit) this.#mappings.clear();
      this.#mappings.set(key, outcome);
    }
    return outcome;
  }

  #noteSpan(first: string | undefined, last: string | undefined): void {
    if (first === undefined || last === undefined) {
      this.span.untimed += 1;
      return;
    }
    if (this.span.first === undefined || first < this.span.first) this.span.first = first;
    if (this.span.last === undefined || last > this.span.last) this.span.last = last;
  }

  /** Whether an event of this (normalized) time is inside the analysis window. */
  inWindow(eventTime: string | undefined): boolean {
    if (eventTime === undefined) return this.#since === undefined && this.#until === undefined;
    if (this.#since !== undefined && eventTime < this.#since) return false;
    if (this.#until !== undefined && eventTime >= this.#until) return false;
    return true;
  }

  #notePrincipal(principal: Pick<Principal, 'arn' | 'kind'>, sighting: Sighting): void {
    const activity = getOrCreate(
      this.principals,
      principal.arn,
      (): PrincipalActivity => ({
        arn: principal.arn,
        kind: principal.kind,
        events: 0,
      }),
    );
    activity.events += sighting.count;
    const first = sighting.firstSeen;
    const last = sighting.lastSeen;
    if (first !== undefined && (activity.firstSeen === undefined || first < activity.firstSeen))
      activity.firstSeen = first;
    if (last !== undefined && (activity.lastSeen === undefined || last > activity.lastSeen)) activity.lastSeen = last;
  }
}
