import { observationOfRow, projectionTwin } from '@iamgen/athena-queries';
import type { IamCatalog, Origin } from '@iamgen/core';
import { isIssue, renderJson, resourceRequestFields, shapePolicy, TrailAnalysis } from '@iamgen/core';
import { readLocalRecords } from '../src/sources/local-files.js';

interface Observed {
  readonly record: unknown;
  readonly origin: Origin;
  readonly count: number;
}

/** Every record of some files or folders, as the local path reads them. */
export async function localRecords(paths: readonly string[]): Promise<Observed[]> {
  const records: Observed[] = [];
  for await (const item of readLocalRecords(paths, { displayRoot: '/' }))
    if (!isIssue(item)) records.push({ record: item.record, origin: item.origin, count: 1 });
  return records;
}

/** The same records as the Athena activity query returns them, read back by the CLI's row reader. */
export function throughAthena(records: readonly Observed[], catalog: IamCatalog): Observed[] {
  const rows = projectionTwin(
    records.map((r) => r.record),
    resourceRequestFields(catalog),
  );
  return rows.map((row, index) => {
    const observation = observationOfRow(row);
    if ('error' in observation) throw new Error(`twin row ${index}: ${observation.error}`);
    return { record: observation.record, origin: { source: 'athena:twin', index }, count: observation.count };
  });
}

/** What a principal's run yields that a reader of the output would see: the policies and the counts. */
export interface PrincipalOutcome {
  readonly granted: string;
  readonly withDenied: string;
  readonly counts: string;
  readonly resourceUnknown: string;
}

/** Every role and user seen in the records → what from-trail would produce for it. */
export function outcomesByPrincipal(records: readonly Observed[], catalog: IamCatalog): Map<string, PrincipalOutcome> {
  const census = new TrailAnalysis(catalog, {});
  for (const r of records) census.addRecord(r.record, r.origin, r.count);
  const outcomes = new Map<string, PrincipalOutcome>();
  for (const principal of census.principals.values()) {
    if (principal.kind !== 'role' && principal.kind !== 'user') continue;
    const analysis = new TrailAnalysis(catalog, { selector: { kind: principal.kind, value: principal.arn } });
    for (const r of records) analysis.addRecord(r.record, r.origin, r.count);
    const granted = analysis.granted.accesses();
    const { recordsRead: _read, malformedRecords: _malformed, ...counts } = analysis.counts;
    outcomes.set(principal.arn, {
      granted: renderJson(shapePolicy(granted).documents),
      withDenied: renderJson(shapePolicy([...granted, ...analysis.deniedAccesses.accesses()]).documents),
      counts: JSON.stringify(counts),
      resourceUnknown: JSON.stringify([...analysis.resourceUnknown].sort()),
    });
  }
  return outcomes;
}
