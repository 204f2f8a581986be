import { compareCodePoints, renderJson } from '@iamgen/core';
import { iamCatalog } from '../catalog.js';
import type { CliIo } from '../cli-io.js';
import { exitCodes, RunFailure } from '../cli-io.js';
import type { SourceOptions } from '../feed-analysis.js';
import { describeSources, feedAnalysis } from '../feed-analysis.js';

export interface RolesArgs extends SourceOptions {
  readonly format: 'text' | 'json';
}

/** `iamgen roles`: every principal in the logs with its event count and first/last activity. */
export async function roles(args: RolesArgs, io: CliIo): Promise<number> {
  const catalog = iamCatalog();
  const { analysis, files } = await feedAnalysis(catalog, {}, args, io);
  for (const problem of analysis.problems) io.stderr.write(`warning: ${problem.message}\n`);
  if (analysis.counts.recordsRead === analysis.counts.malformedRecords) {
    throw new RunFailure(`no CloudTrail events found in ${describeSources(args)}`);
  }
  const principals = [...analysis.principals.values()].sort(
    (a, b) => b.events - a.events || compareCodePoints(a.arn, b.arn),
  );
  if (args.format === 'json') {
    io.stdout.write(renderJson({ files, events: analysis.counts.recordsRead, principals }));
    return exitCodes.ok;
  }
  const rows = principals.map((p) => [p.kind, String(p.events), p.firstSeen ?? '-', p.lastSeen ?? '-', p.arn]);
  const header = ['KIND', 'EVENTS', 'FIRST SEEN', 'LAST SEEN', 'PRINCIPAL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
  return exitCodes.ok;
}
