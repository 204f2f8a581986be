import { resolve } from 'node:path';
import type { IamCatalog, ObservedAccess } from '@iamgen/core';
import { dataEventServicesOf, selectorTarget } from '@iamgen/core';
import type { CliIo } from '../cli-io.js';
import type { SourceOptions } from '../feed-analysis.js';
import { feedAnalysis } from '../feed-analysis.js';
import type { PolicyEntry, ProposeConfig } from './config.js';

/** What the logs say about one principal of the config. */
export interface PrincipalActivityRead {
  /** Events of the principal in the window (all kinds, before mapping). */
  readonly events: number;
  readonly firstSeen?: string | undefined;
  /** Authorized accesses, with counts, first/last seen and a sample event. */
  readonly observed: readonly ObservedAccess[];
  /** Services whose data events the source held for this principal (none when it cannot hold any). */
  readonly dataEventServices: ReadonlySet<string>;
  /** Events that mapped to no IAM action: the logs cannot vouch for what they needed. */
  readonly unmapped: number;
}

export interface EstateRead {
  readonly principals: ReadonlyMap<PolicyEntry, PrincipalActivityRead>;
  /**
   * The freshness of the source: the newest event read in the window, or the newest delivery of a CloudTrail log
   * file found (its name carries the time): records of principals outside the config are skipped unread.
   */
  readonly newestEvent?: string | undefined;
  /** Log files that could not be read and records that could not be parsed: what the read may have missed. */
  readonly unreadableInputs: number;
  /** What was wrong with them, one line each (the first few). */
  readonly problems: readonly string[];
}

/** The window read: `since` inclusive, `until` exclusive, ISO-8601. */
export interface Window {
  readonly since: string;
  readonly until: string;
}

/** Where to read, with local paths (events, cache) taken relative to the config file like its policy files. */
export function sourceOfConfig(config: ProposeConfig, configDir: string): SourceOptions {
  return {
    events: config.events.map((location) => (location.startsWith('s3://') ? location : resolve(configDir, location))),
    lookupRegions: config.lookupEvents,
    concurrency: config.concurrency,
    workers: config.workers ?? 'auto',
    ...(config.cache === undefined ? {} : { cache: resolve(configDir, config.cache) }),
    ...(config.athena === undefined
      ? {}
      : {
          athena: {
            table: config.athena.table,
            regions: config.athena.regions,
            timeoutSeconds: config.athena.timeoutSeconds,
            workgroup: config.athena.workgroup,
            outputLocation: config.athena.output,
            catalog: config.athena.catalog,
          },
        }),
    ...config.aws,
  };
}

/** The sources as the config names them (not as resolved on this machine), for pull requests and reports. */
export function describeConfigSources(config: ProposeConfig): string {
  return [
    ...config.events,
    ...config.lookupEvents.map((region) => `LookupEvents ${region}`),
    ...(config.athena === undefined ? [] : [`Athena ${config.athena.table}`]),
  ].join(', ');
}

/** One read of the sources for every principal of the config. */
export async function analyzePrincipals(
  entries: readonly PolicyEntry[],
  source: SourceOptions,
  window: Window,
  catalog: IamCatalog,
  io: CliIo,
): Promise<EstateRead> {
  const selectors = entries.map((entry) => ({ kind: entry.kind, value: entry.principal }));
  const options = { selection: { selectors, all: false }, since: window.since, until: window.until };
  const { analysis, dataEventsPossible, newestDelivery } = await feedAnalysis(catalog, options, source, io);
  let newestEvent = newestDelivery !== undefined && newestDelivery < window.until ? newestDelivery : undefined;
  for (const activity of analysis.principals.values())
    if (activity.lastSeen !== undefined && (newestEvent === undefined || activity.lastSeen > newestEvent))
      newestEvent = activity.lastSeen;
  const principals = new Map<PolicyEntry, PrincipalActivityRead>();
  entries.forEach((entry, index) => {
    const selector = selectors[index];
    const principal = selector === undefined ? undefined : analysis.analysis(selectorTarget(selector).key);
    if (principal === undefined) return;
    let firstSeen: string | undefined;
    for (const arn of principal.matchedPrincipals) {
      const activity = analysis.principals.get(arn);
      if (activity?.firstSeen !== undefined && (firstSeen === undefined || activity.firstSeen < firstSeen))
        firstSeen = activity.firstSeen;
    }
    const observed = principal.granted.entries();
    const denied = principal.deniedAccesses.accesses();
    const dataEventServices = dataEventsPossible
      ? dataEventServicesOf([...observed.map((o) => o.access), ...denied])
      : new Set<string>();
    principals.set(entry, {
      events: principal.counts.matched,
      firstSeen,
      observed,
      dataEventServices,
      unmapped: principal.counts.unmapped,
    });
  });
  return {
    principals,
    newestEvent,
    unreadableInputs: analysis.counts.unreadableFiles + analysis.counts.malformedRecords,
    problems: analysis.problems.map((problem) => problem.message),
  };
}
