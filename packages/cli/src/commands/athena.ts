import type { AthenaQuery } from '@iamgen/athena-queries';
import { cloudTrailTableDdl, principalActivityQuery } from '@iamgen/athena-queries';
import { renderJson, resourceRequestFields } from '@iamgen/core';
import type { CliIo } from '../cli-io.js';
import { exitCodes, UsageError } from '../cli-io.js';
import { parseTimeBound } from '../time-window.js';

export interface AthenaArgs {
  readonly statement: 'ddl' | 'query';
  readonly table: string;
  readonly location?: string | undefined;
  readonly projectionStart: string;
  readonly principal?: string | undefined;
  readonly regions: readonly string[];
  readonly since: string;
  readonly until?: string | undefined;
  readonly format: 'sql' | 'json';
}

/** `iamgen athena ddl|query`: prints the statement to run in Athena; building it is pure, running it is yours. */
export function athena(args: AthenaArgs, io: CliIo, now = new Date()): number {
  let query: AthenaQuery;
  try {
    query =
      args.statement === 'ddl'
        ? cloudTrailTableDdl({
            table: args.table,
            location: required(args.location, '--location'),
            projectionStart: args.projectionStart,
          })
        : principalActivityQuery({
            table: args.table,
            principalArn: required(args.principal, '--principal'),
            regions: args.regions,
            since: parseTimeBound('since', args.since, now).replace(/\.\d{3}Z$/, 'Z'),
            until: (args.until === undefined ? now.toISOString() : parseTimeBound('until', args.until, now)).replace(
              /\.\d{3}Z$/,
              'Z',
            ),
            requestFields: resourceRequestFields,
          });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
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
