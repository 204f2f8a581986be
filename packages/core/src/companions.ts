import { compareCodePoints } from './collections.js';
import type { Access } from './types.js';

/**
 * Calls CloudTrail never records, implied by a call it does record. Each row names the logged action, the
 * action it implies, how the implied resource follows from the logged one, and the documentation it rests on.
 */
export interface UnloggedCompanion {
  readonly logged: string;
  readonly adds: string;
  /** The implied resource, from the logged call's resource; undefined when it does not follow. */
  readonly resource: (logged: string) => string | undefined;
  readonly documentation: string;
}

const logStream = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:[^:]+:log-stream:.+$/;

export const unloggedCompanions: readonly UnloggedCompanion[] = [
  {
    // A writer creates its stream and then writes to it; PutLogEvents is not recorded by CloudTrail.
    logged: 'logs:CreateLogStream',
    adds: 'logs:PutLogEvents',
    resource: (arn) => (logStream.test(arn) ? arn : undefined),
    documentation: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/logging_cw_api_calls_cwl.html',
  },
];

export interface AddedCompanion {
  readonly logged: string;
  readonly action: string;
  /** Number of distinct resources it was added for. */
  readonly resources: number;
  readonly documentation: string;
}

/** The accesses plus the unlogged calls they imply, and one line per (logged, added) pair for the report. */
export function addUnloggedCompanions(
  accesses: readonly Access[],
  table: readonly UnloggedCompanion[] = unloggedCompanions,
): { accesses: Access[]; added: AddedCompanion[] } {
  const out = [...accesses];
  const seen = new Set(accesses.map((a) => `${a.action}\u0000${a.resource}`));
  const added = new Map<string, { row: UnloggedCompanion; resources: Set<string> }>();
  for (const access of accesses) {
    for (const row of table) {
      if (row.logged !== access.action) continue;
      const resource = row.resource(access.resource);
      if (resource === undefined || seen.has(`${row.adds}\u0000${resource}`)) continue;
      seen.add(`${row.adds}\u0000${resource}`);
      out.push({ action: row.adds, resource });
      const entry = added.get(`${row.logged}\u0000${row.adds}`) ?? { row, resources: new Set<string>() };
      entry.resources.add(resource);
      added.set(`${row.logged}\u0000${row.adds}`, entry);
    }
  }
  return {
    accesses: out,
    added: [...added.values()]
      .map(({ row, resources }) => ({
        logged: row.logged,
        action: row.adds,
        resources: resources.size,
        documentation: row.documentation,
      }))
      .sort((a, b) => compareCodePoints(a.action, b.action) || compareCodePoints(a.logged, b.logged)),
  };
}
