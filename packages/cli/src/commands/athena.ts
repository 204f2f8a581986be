import type { AthenaQuery } from '@iamgen/athena-queries';
import { cloudTrailTableDdl } from '@iamgen/athena-queries';
import { renderJson } from '@iamgen/core';
import { iamCatalog } from '../catalog.js';
import type { CliIo } from '../cli-io.js';
import { exitCodes, UsageError } from '../cli-io.js';
import { activityQuery, athenaPrincipals, athenaWindow } from '../sources/athena-query.js';
import { selectionOf } from './from-trail.js';

export interface AthenaArgs {
  readonly statement: 'ddl' | 'query';
  readonly table: string;
  readonly location?: string | undefined;
  readonly accounts: readonly string[];
  readonly projectionStart: string;
  readonly roles: readonly string[];
  readonly users: readonly string[];
  readonly all: boolean;
  readonly regions: readonly string[];
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly format: 'sql' | 'json';
}

/**
 * `iamgen athena ddl|query`: prints the statement. `query` prints exactly what `from-trail --athena-table` runs
 * for the same principal, region and window flags, for review or to run by hand.
 */
export async function athena(args: AthenaArgs, io: CliIo, now = new Date()): Promise<number> {
  let query: AthenaQuery;
  if (args.statement === 'ddl') {
    try {
      query = cloudTrailTableDdl({
        table: args.table,
        location: required(args.location, '--location'),
        accounts: args.accounts,
        projectionStart: args.projectionStart,
      });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  } else {
    query = activityQuery(iamCatalog(), {
      table: args.table,
      principals: athenaPrincipals(selectionOf(args)),
      regions: args.regions,
      window: athenaWindow(args.since, args.until, now),
    });
  }
  if (args.format === 'json') io.stdout.write(renderJson(query));
  else {
    const parameters = query.parameters.map((p, i) => `-- ?${i + 1} = ${p}`).join('\n');
    io.stdout.write(`${query.sql};\n${parameters === '' ? '' : `${parameters}\n`}`);
  }
  return exitCodes.ok;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${flag}`);
  return value;
}
