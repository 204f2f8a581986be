import { observationOfRow, projectionTwin } from '@iamgen/athena-queries';
import type { IamCatalog, Origin, Sighting } from '@iamgen/core';
import { isIssue, renderJson, resourceRequestFields, shapePolicy, TrailAnalysis } from '@iamgen/core';
import { readLocalRecords } from '../src/sources/local-files.js';

interface Observed {
  readonly record: unknown;
  readonly origin: Origin;
  readonly sighting?: Sighting;
}

/**
 * Every record of some files or folders, as the local path reads them. Exports that renamed `eventTime` to
 * `@timestamp` (logstash) get it back: a trail's Athena table has only `eventtime`, so both paths see that.
 */
export async function localRecords(paths: readonly string[]): Promise<Observed[]> {
  const records: Observed[] = [];
  for await (const item of readLocalRecords(paths, { displayRoot: '/' })) {
    if (isIssue(item)) continue;
    const raw = item.record;
    const record =
      typeof raw === 'object' && raw !== null && !('eventTime' in raw) && '@timestamp' in raw
        ? { ...raw, eventTime: raw['@timestamp'] }
        : raw;
    records.push({ record, origin: item.origin });
  }
  return records;
}

/** The same records as the Athena activity query returns them, read back by the CLI's row reader. */
export function throughAthena(
  records: readonly Observed[],
  catalog: IamCatalog,
  projection = resourceRequestFields(catalog),
): Observed[] {
  const rows = projectionTwin(
    records.map((r) => r.record),
    projection,
  );
  return rows.map((row, index) => {
    const observation = observationOfRow(row);
    if ('error' in observation) throw new Error(`twin row ${index}: ${observation.error}`);
    const { record, ...sighting } = observation;
    return { record, origin: { source: 'athena:twin', index }, sighting };
  });
}

/** What a principal's run yields that a reader of the output would see: the policies, the counts, the evidence. */
export interface PrincipalOutcome {
  readonly granted: string;
  readonly withDenied: string;
  readonly counts: string;
  readonly evidence: string;
  readonly resourceUnknown: string;
}

/** Every role and user seen in the records (one read, `--all`) → what from-trail would produce for it. */
export function outcomesByPrincipal(records: readonly Observed[], catalog: IamCatalog): Map<string, PrincipalOutcome> {
  const read = new TrailAnalysis(catalog, { selection: { selectors: [], all: true } });
  for (const r of records) read.addRecord(r.record, r.origin, r.sighting);
  const outcomes = new Map<string, PrincipalOutcome>();
  for (const principal of read.analyses()) {
    const granted = principal.granted.accesses();
    outcomes.set(principal.target.key, {
      granted: renderJson(shapePolicy(granted).documents),
      withDenied: renderJson(shapePolicy([...granted, ...principal.deniedAccesses.accesses()]).documents),
      counts: JSON.stringify(principal.counts),
      evidence: JSON.stringify([...principal.granted.entries(), ...principal.deniedAccesses.entries()]),
      resourceUnknown: JSON.stringify([...principal.resourceUnknown].sort()),
    });
  }
  return outcomes;
}
