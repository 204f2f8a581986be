import type { Access, IamCatalog } from '@iamgen/core';
import { isDataPlaneAction } from '@iamgen/core';
import type { CliIo } from '../cli-io.js';
import { UsageError } from '../cli-io.js';
import type { SourceOptions } from '../feed-analysis.js';
import { describeSources, feedAnalysis } from '../feed-analysis.js';
import type { PolicyEntry, ProposeConfig } from './config.js';
import type { Observation } from './shrink.js';

/** What the logs say about one principal of the config. */
export interface PrincipalActivityRead {
  /** Events of the principal in the window (all kinds, before mapping). */
  readonly events: number;
  readonly firstSeen?: string | undefined;
  readonly lastSeen?: string | undefined;
  /** Authorized accesses, with counts and first/last seen. */
  readonly observed: readonly Observation[];
  readonly denied: readonly Access[];
  /** Services whose data events the source held for this principal. */
  readonly dataEventServices: ReadonlySet<string>;
  /** Events that mapped to no IAM action: the logs cannot vouch for what they needed. */
  readonly unmapped: number;
}

export interface EstateRead {
  readonly principals: ReadonlyMap<PolicyEntry, PrincipalActivityRead>;
  /** The newest event time seen in the window, any principal: the freshness of the source. */
  readonly newestEvent?: string | undefined;
  /** False when every source was one that holds no data events (LookupEvents). */
  readonly dataEventsPossible: boolean;
  readonly sources: string;
}

export interface Window {
  readonly since: string;
  readonly until?: string | undefined;
}

export function sourceOfConfig(config: ProposeConfig): SourceOptions {
  if (config.athena !== undefined)
    throw new UsageError(
      `${config.path}: athena: reading through Athena is not available in propose yet; use events or lookupEvents`,
    );
  return {
    events: config.events,
    lookupRegions: config.lookupEvents,
    concurrency: config.concurrency,
    ...config.aws,
  };
}

/**
 * The per-principal reads of one run. Kept to this one function so that the single-read estate analysis can
 * replace the per-principal reads without touching the rest of `propose`.
 */
export async function analyzePrincipals(
  entries: readonly PolicyEntry[],
  source: SourceOptions,
  window: Window,
  catalog: IamCatalog,
  io: CliIo,
): Promise<EstateRead> {
  const principals = new Map<PolicyEntry, PrincipalActivityRead>();
  let newestEvent: string | undefined;
  let dataEventsPossible = true;
  for (const entry of entries) {
    const { analysis, dataEventsPossible: possible } = await feedAnalysis(
      catalog,
      {
        selector: { kind: entry.kind, value: entry.principal },
        since: window.since,
        ...(window.until === undefined ? {} : { until: window.until }),
      },
      source,
      io,
    );
    dataEventsPossible = possible;
    let firstSeen: string | undefined;
    let lastSeen: string | undefined;
    for (const activity of analysis.principals.values()) {
      if (activity.lastSeen !== undefined && (newestEvent === undefined || activity.lastSeen > newestEvent))
        newestEvent = activity.lastSeen;
      if (!analysis.matchedPrincipals.has(activity.arn)) continue;
      if (activity.firstSeen !== undefined && (firstSeen === undefined || activity.firstSeen < firstSeen))
        firstSeen = activity.firstSeen;
      if (activity.lastSeen !== undefined && (lastSeen === undefined || activity.lastSeen > lastSeen))
        lastSeen = activity.lastSeen;
    }
    const observed = analysis.granted.entries();
    const denied = analysis.deniedAccesses.accesses();
    const dataEventServices = new Set(
      possible
        ? [...observed.map((o) => o.access), ...denied]
            .filter((access) => isDataPlaneAction(access.action))
            .map((access) => access.action.slice(0, access.action.indexOf(':')).toLowerCase())
        : [],
    );
    principals.set(entry, {
      events: analysis.counts.matched,
      firstSeen,
      lastSeen,
      observed,
      denied,
      dataEventServices,
      unmapped: analysis.counts.unmapped,
    });
  }
  return { principals, newestEvent, dataEventsPossible, sources: describeSources(source) };
}
