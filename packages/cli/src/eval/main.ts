/**
 * `pnpm eval`: how well the mapping does on real CloudTrail logs. For every dataset folder (default: each
 * folder of ../shared/datasets) it maps every event of every principal and reports mapped %, unmapped pairs
 * with reasons, nonexistent actions (must be 0), how often a resource-scoped action got a real ARN, and denied
 * calls; then it runs `from-trail` end to end for every role and user. Writes `.eval/report.json` too.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { IamCatalog } from '@iamgen/core';
import { isIssue, mapEvent, nonAuthorizationReason, normalizeRecord, principalOf, renderJson } from '@iamgen/core';
import { writeFileAtomic } from '../atomic-write.js';
import { iamCatalog } from '../catalog.js';
import { readLocalRecords } from '../sources/local-files.js';
import type { PrincipalRun } from './every-principal.js';
import { runEveryPrincipal } from './every-principal.js';
import type { TimeSplit } from './time-split.js';
import { timeSplit } from './time-split.js';

interface DatasetFigures {
  dataset: string;
  files: number;
  unreadable: number;
  events: number;
  authorizationEvents: number;
  notAuthorization: number;
  mapped: number;
  denied: number;
  unmapped: number;
  mappedPercent: number;
  /** Mapped accesses whose action supports a resource type, and how many of them got a concrete ARN. */
  scopedAccesses: number;
  concreteArns: number;
  concreteArnPercent: number;
  nonexistentActions: string[];
  unmappedPairs: { pair: string; count: number; reason: string }[];
  principalRuns: PrincipalRun[];
  timeSplit?: TimeSplit;
}

/** Targets from the mapping issue; a dataset below them fails the evaluation. */
/** Survival is reported against its target; the `*` share of the safe policy must never exceed the exact one. */
const targets = { mappedPercent: 99, concreteArnPercent: 85, survivalPercent: 95 };

async function evaluate(folder: string, catalog: IamCatalog): Promise<DatasetFigures> {
  const figures: DatasetFigures = {
    dataset: folder,
    files: 0,
    unreadable: 0,
    events: 0,
    authorizationEvents: 0,
    notAuthorization: 0,
    mapped: 0,
    denied: 0,
    unmapped: 0,
    mappedPercent: 100,
    scopedAccesses: 0,
    concreteArns: 0,
    concreteArnPercent: 100,
    nonexistentActions: [],
    unmappedPairs: [],
    principalRuns: [],
  };
  const unmapped = new Map<string, { count: number; reason: string }>();
  const nonexistent = new Set<string>();
  const files = new Set<string>();
  for await (const item of readLocalRecords([folder], { displayRoot: folder })) {
    if (isIssue(item)) {
      if (item.kind === 'unreadable-file') figures.unreadable += 1;
      files.add(item.origin.source);
      continue;
    }
    files.add(item.origin.source);
    const event = normalizeRecord(item.record, item.origin);
    if (isIssue(event)) continue;
    figures.events += 1;
    if (nonAuthorizationReason(event, principalOf(event)) !== undefined) {
      figures.notAuthorization += 1;
      continue;
    }
    const outcome = mapEvent(event, catalog);
    if (outcome.kind === 'not-authorization') {
      figures.notAuthorization += 1;
      continue;
    }
    figures.authorizationEvents += 1;
    if (outcome.kind === 'unmapped') {
      figures.unmapped += 1;
      const pair = `${event.eventSource}:${event.eventName}`;
      const entry = unmapped.get(pair) ?? { count: 0, reason: outcome.reason };
      entry.count += 1;
      unmapped.set(pair, entry);
      continue;
    }
    if (outcome.kind === 'denied') figures.denied += 1;
    else figures.mapped += 1;
    for (const access of outcome.accesses) {
      const action = catalog.actionByQualifiedName(access.action);
      if (action === undefined) {
        nonexistent.add(access.action);
        continue;
      }
      if (outcome.kind === 'mapped' && action.resourceTypes.length > 0) {
        figures.scopedAccesses += 1;
        if (access.resource !== '*') figures.concreteArns += 1;
      }
    }
  }
  figures.files = files.size;
  const percent = (part: number, whole: number) => (whole === 0 ? 100 : Math.round((part / whole) * 1000) / 10);
  figures.mappedPercent = percent(figures.mapped + figures.denied, figures.authorizationEvents);
  figures.concreteArnPercent = percent(figures.concreteArns, figures.scopedAccesses);
  figures.nonexistentActions = [...nonexistent].sort();
  figures.unmappedPairs = [...unmapped]
    .map(([pair, { count, reason }]) => ({ pair, count, reason }))
    .sort((a, b) => b.count - a.count || (a.pair < b.pair ? -1 : 1));
  figures.principalRuns = await runEveryPrincipal(folder, catalog);
  figures.timeSplit = await timeSplit(folder, catalog);
  return figures;
}

function runFailed(run: PrincipalRun): boolean {
  return run.exitCode !== 0 || run.nonexistentActions.length > 0 || run.sameAsAllRun === false;
}

function print(f: DatasetFigures): void {
  const failedRuns = f.principalRuns.filter(runFailed);
  const lines = [
    `\n== ${f.dataset}`,
    `files ${f.files} (unreadable ${f.unreadable}), events ${f.events}, not authorizations ${f.notAuthorization}, authorization events ${f.authorizationEvents}`,
    `mapped ${f.mapped} + denied ${f.denied} = ${f.mappedPercent}% of authorization events; unmapped ${f.unmapped}`,
    `resource-scoped accesses with a concrete ARN: ${f.concreteArns}/${f.scopedAccesses} = ${f.concreteArnPercent}%`,
    `nonexistent actions emitted: ${f.nonexistentActions.length}${f.nonexistentActions.length > 0 ? ` (${f.nonexistentActions.join(', ')})` : ''}`,
    `from-trail for every principal: ${f.principalRuns.length - failedRuns.length}/${f.principalRuns.length} completed with catalog actions only`,
    ...timeSplitLines(f.timeSplit),
    `one --all read wrote the same bytes as the single runs: ${f.principalRuns.filter((r) => r.sameAsAllRun === true).length}/${f.principalRuns.filter((r) => r.sameAsAllRun !== undefined).length} comparable principals`,
    ...failedRuns.map(
      (r) =>
        `  FAILED ${r.principal}: exit ${r.exitCode} ${r.error ?? r.nonexistentActions.join(', ')}${r.sameAsAllRun === false ? ' (differs from the --all run)' : ''}`,
    ),
    ...f.unmappedPairs.map((u) => `  unmapped ${u.pair} ×${u.count}: ${u.reason}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function timeSplitLines(split: TimeSplit | undefined): string[] {
  if (split === undefined || split.principals === 0) return ['time split: no principal has events on both sides'];
  const modes = ['exact', 'safe', 'broad'] as const;
  return [
    `time split (${split.principals} principals, first 70% trains, last 30% tests): later needs on granted actions allowed: ${modes.map((m) => `${m} ${split.byMode[m].survivalPercent}% (${split.byMode[m].allowed}/${split.byMode[m].needs})`).join(', ')}`,
    `resource-scopable actions granted only on *: ${modes.map((m) => `${m} ${split.byMode[m].starPercent}% (${split.byMode[m].starOnly}/${split.byMode[m].scopableActions})`).join(', ')}`,
    ...split.missedExamples.slice(0, 5).map((m) => `  still refused (safe): ${m}`),
  ];
}

const given = process.argv.slice(2);
const shared = resolve('../shared/datasets');
let folders = given;
if (folders.length === 0) {
  if (!existsSync(shared)) {
    process.stdout.write('../shared/datasets not found: nothing to evaluate\n');
    process.exit(0);
  }
  const entries = await readdir(shared, { withFileTypes: true });
  folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => join(shared, e.name))
    .sort();
}
const catalog = iamCatalog();
const results: DatasetFigures[] = [];
for (const folder of folders) {
  const figures = await evaluate(folder, catalog);
  results.push({ ...figures, dataset: folder.startsWith(shared) ? folder.slice(shared.length + 1) : folder });
  print(results[results.length - 1] ?? figures);
}
const total = results.reduce(
  (sum, f) => ({
    authorization: sum.authorization + f.authorizationEvents,
    mapped: sum.mapped + f.mapped + f.denied,
    scoped: sum.scoped + f.scopedAccesses,
    concrete: sum.concrete + f.concreteArns,
    nonexistent: sum.nonexistent + f.nonexistentActions.length,
    failedRuns: sum.failedRuns + f.principalRuns.filter(runFailed).length,
  }),
  { authorization: 0, mapped: 0, scoped: 0, concrete: 0, nonexistent: 0, failedRuns: 0 },
);
const splitTotal = (mode: 'exact' | 'safe' | 'broad') =>
  results.reduce(
    (sum, f) => {
      const m = f.timeSplit?.byMode[mode];
      return m === undefined
        ? sum
        : {
            needs: sum.needs + m.needs,
            allowed: sum.allowed + m.allowed,
            scopable: sum.scopable + m.scopableActions,
            star: sum.star + m.starOnly,
          };
    },
    { needs: 0, allowed: 0, scopable: 0, star: 0 },
  );
const ratio = (part: number, whole: number, empty: number) =>
  whole === 0 ? empty : Math.round((part / whole) * 1000) / 10;
const splitFigures = (mode: 'exact' | 'safe' | 'broad') => {
  const t = splitTotal(mode);
  return { ...t, survivalPercent: ratio(t.allowed, t.needs, 100), starPercent: ratio(t.star, t.scopable, 0) };
};
const split = { exact: splitFigures('exact'), safe: splitFigures('safe'), broad: splitFigures('broad') };
const mappedPercent = total.authorization === 0 ? 100 : Math.round((total.mapped / total.authorization) * 1000) / 10;
const arnPercent = total.scoped === 0 ? 100 : Math.round((total.concrete / total.scoped) * 1000) / 10;
process.stdout.write(
  `\n== all datasets: mapped ${mappedPercent}% (target ≥${targets.mappedPercent}%), concrete ARNs ${arnPercent}% (target ≥${targets.concreteArnPercent}%), nonexistent actions ${total.nonexistent} (must be 0), failed from-trail runs ${total.failedRuns}\n`,
);
process.stdout.write(
  `== time split, all datasets: survival exact ${split.exact.survivalPercent}% → safe ${split.safe.survivalPercent}% (target ≥${targets.survivalPercent}%; broad ${split.broad.survivalPercent}%), resource-scopable actions only on *: exact ${split.exact.starPercent}% → safe ${split.safe.starPercent}% (must not rise)\n`,
);
await mkdir('.eval', { recursive: true });
await writeFileAtomic(
  '.eval/report.json',
  renderJson({ targets, total: { mappedPercent, arnPercent, ...total, timeSplit: split }, datasets: results }),
);
const ok =
  total.nonexistent === 0 &&
  total.failedRuns === 0 &&
  mappedPercent >= targets.mappedPercent &&
  arnPercent >= targets.concreteArnPercent &&
  split.safe.starPercent <= split.exact.starPercent;
process.exit(ok ? 0 : 1);
