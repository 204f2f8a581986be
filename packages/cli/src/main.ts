import { readFileSync } from 'node:fs';
import { generalizeModes } from '@iamgen/core';
import type { Argv } from 'yargs';
import { argvParser } from './argv-parser.js';
import { WriteInterrupted } from './atomic-write.js';
import type { AwsConnection } from './aws-connection.js';
import { maxAttemptsOf } from './aws-connection.js';
import type { CliIo } from './cli-io.js';
import { exitCodes, RunFailure, UsageError } from './cli-io.js';
import type { SourceOptions } from './feed-analysis.js';
import type { DiffFormat, PolicyFormat, PolicyKind } from './option-choices.js';
import { diffFormats, policyFormats, policyKinds } from './option-choices.js';
import type { AthenaTable } from './sources/athena-query.js';
import { safeWriter } from './terminal.js';

type Command = () => Promise<number>;

/** One command's flags and the work it does once they parsed; registered in `commands` below. */
export interface CommandDefinition {
  readonly name: string;
  readonly describe: string;
  readonly builder: (parser: Argv) => Argv;
  readonly run: (argv: Record<string, unknown>, io: CliIo) => Promise<number>;
}

const eventsOption = {
  type: 'string',
  array: true,
  default: [] as string[],
  describe:
    'CloudTrail log files or folders (.json, .json.gz, .jsonl), or s3://bucket/prefix trail locations; the delivery layout is walked',
} as const;

const concurrencyOption = {
  type: 'string',
  default: '4',
  describe: 'files fetched and held at once (at least 2 per worker)',
} as const;

const maxFileBytesOption = {
  type: 'string',
  describe: 'skip (and report) a log file larger than this on disk or decompressed: 256M (default), 64M, 1048576',
} as const;

/** `--max-file-bytes`: a byte count with an optional K, M or G suffix (powers of 1024). */
async function maxFileBytesOf(value: unknown): Promise<number | undefined> {
  if (value === undefined) return undefined;
  const { maxFileBytesLimit } = await import('./sources/log-content.js');
  const match = /^(\d+)([KMG]?)i?B?$/i.exec(String(value).trim());
  const bytes =
    match === null
      ? Number.NaN
      : Number(match[1]) * 1024 ** ['', 'K', 'M', 'G'].indexOf((match[2] ?? '').toUpperCase());
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > maxFileBytesLimit) {
    throw new UsageError(
      `--max-file-bytes ${String(value)}: give a size from 1 to ${maxFileBytesLimit} bytes (the longest text Node can hold), e.g. 256M`,
    );
  }
  return bytes;
}

const workersOption = {
  type: 'string',
  defaultDescription: 'one per core, once the input passes a few megabytes',
  describe: 'worker threads that decompress, filter, parse and map log files (0: main thread only)',
} as const;

const cacheOption = {
  type: 'string',
  describe: 'keep per-file results in DIR so a re-run reads only new files (safe to delete)',
} as const;

const lookupEventsOption = {
  type: 'string',
  array: true,
  describe: 'read management events of these regions with the LookupEvents API (last 90 days, no data events)',
} as const;

const awsOptions = (parser: Argv) =>
  parser
    .option('profile', { type: 'string', describe: 'AWS profile for S3, IAM and Athena (as the AWS CLI)' })
    .option('region', {
      type: 'string',
      describe: 'AWS region for S3, IAM and Athena (as the AWS CLI: else AWS_REGION, AWS_DEFAULT_REGION, the profile)',
    })
    .option('endpoint-url', {
      type: 'string',
      describe: 'S3/IAM/Athena endpoint (GovCloud, China, a local test server)',
    })
    .option('connect-timeout', { type: 'number', describe: 'seconds to wait for a connection to AWS (default 60)' })
    .option('read-timeout', {
      type: 'number',
      describe:
        'seconds an AWS response may stall before the attempt fails (default 60); AWS_MAX_ATTEMPTS bounds retries (default 5)',
    });

const athenaRegionsOption = {
  type: 'string',
  array: true,
  describe: 'regions (partitions) of the Athena table to read; required with --athena-table',
} as const;

/** `--athena-table` and its companions: the trail read through Athena, aggregated there. */
const athenaOptions = (parser: Argv) =>
  parser
    .option('athena-table', {
      type: 'string',
      describe: 'read the trail through this Athena table (database.table, see iamgen athena ddl)',
    })
    .option('athena-regions', athenaRegionsOption)
    .option('athena-workgroup', { type: 'string', describe: 'Athena workgroup (default: primary)' })
    .option('athena-output', {
      type: 'string',
      describe: 's3:// location for query results, if the workgroup has none',
    })
    .option('athena-catalog', { type: 'string', describe: 'data catalog (default: AwsDataCatalog)' })
    .option('athena-timeout', {
      type: 'number',
      default: 1800,
      describe: 'seconds the query may run before it is stopped and the run fails',
    });

/** The Athena table flags, when `--athena-table` was given. */
function athenaTableOf(argv: Record<string, unknown>): AthenaTable | undefined {
  const table = argv.athenaTable as string | undefined;
  if (table === undefined) return undefined;
  const regions = (argv.athenaRegions as string[] | undefined)?.flatMap((r) => r.split(',')) ?? [];
  if (regions.length === 0) throw new UsageError('--athena-table needs --athena-regions (the regions to read)');
  checkAthenaFlags(argv);
  return {
    table,
    regions,
    timeoutSeconds: argv.athenaTimeout as number,
    workgroup: argv.athenaWorkgroup as string | undefined,
    outputLocation: argv.athenaOutput as string | undefined,
    catalog: argv.athenaCatalog as string | undefined,
  };
}

/**
 * Where and how long a query runs, as `from-trail` takes them; `athena query` checks them too, so what it accepts
 * is what from-trail would run.
 */
function checkAthenaFlags(argv: Record<string, unknown>): void {
  const timeoutSeconds = argv.athenaTimeout;
  if (timeoutSeconds !== undefined && !(typeof timeoutSeconds === 'number' && timeoutSeconds > 0))
    throw new UsageError('--athena-timeout must be a positive number of seconds');
  const checked = (flag: string, value: unknown, pattern: RegExp, what: string) => {
    if (value !== undefined && !pattern.test(String(value))) throw new UsageError(`--${flag} ${value}: ${what}`);
  };
  // Athena's own name rules, checked here so a typo is a usage error rather than a failed run.
  checked('athena-workgroup', argv.athenaWorkgroup, /^[A-Za-z0-9._-]{1,128}$/, 'not a workgroup name');
  checked('athena-catalog', argv.athenaCatalog, /^[A-Za-z0-9_@-]{1,256}$/, 'not a data catalog name');
  checked(
    'athena-output',
    argv.athenaOutput,
    /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/,
    'not an s3://bucket/prefix/ location',
  );
}

/** The AWS connection flags, as the AWS CLI spells them, and its `AWS_MAX_ATTEMPTS`. */
function connectionOf(argv: Record<string, unknown>, io: CliIo): AwsConnection {
  for (const flag of ['connectTimeout', 'readTimeout'] as const) {
    const value = argv[flag];
    if (value !== undefined && !(typeof value === 'number' && value > 0)) {
      throw new UsageError(
        `--${flag === 'connectTimeout' ? 'connect' : 'read'}-timeout must be a positive number of seconds`,
      );
    }
  }
  const region = argv.region as string | undefined;
  if (region !== undefined && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(region))
    throw new UsageError(`--region ${region}: not an AWS region name (such as eu-west-1)`);
  return {
    profile: argv.profile as string | undefined,
    region,
    endpointUrl: argv.endpointUrl as string | undefined,
    maxAttempts: maxAttemptsOf(io.env),
    connectTimeout: argv.connectTimeout as number | undefined,
    readTimeout: argv.readTimeout as number | undefined,
  };
}

/** What `athena query` says of from-trail's flags it takes only to check them. */
const checkedForQuery = 'query: checked as from-trail checks it; no effect on the query';

/** Threads a run may start: far more than any machine has cores, far fewer than would exhaust its memory. */
const maxWorkers = 256;

/** A flag's value written as a whole number (digits only), or undefined. */
function wholeNumberOf(value: unknown): number | undefined {
  return typeof value === 'string' && /^\d+$/.test(value) && Number.isSafeInteger(Number(value))
    ? Number(value)
    : undefined;
}

/** `--workers`: a whole number of threads (0: the main thread only), or `auto`. */
function workersOf(value: unknown): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  const workers = wholeNumberOf(value);
  if (workers !== undefined && workers <= maxWorkers) return workers;
  throw new UsageError(
    `--workers ${String(value)}: give a whole number of threads from 0 (the main thread only) to ${maxWorkers}, or auto`,
  );
}

/** `--concurrency`: a whole number of files, at least one. */
function concurrencyOf(value: unknown): number {
  const concurrency = wholeNumberOf(value);
  if (concurrency !== undefined && concurrency >= 1) return concurrency;
  throw new UsageError(`--concurrency ${String(value)}: give a whole number of files held at once, 1 or more`);
}

/** Where `from-trail` and `roles` read events: files, trail buckets, LookupEvents regions. */
async function sourceOf(argv: Record<string, unknown>, io: CliIo): Promise<SourceOptions> {
  return {
    events: argv.events as string[],
    lookupRegions: (argv.lookupEvents as string[] | undefined)?.flatMap((r) => r.split(',')) ?? [],
    concurrency: concurrencyOf(argv.concurrency),
    workers: workersOf(argv.workers),
    maxFileBytes: await maxFileBytesOf(argv.maxFileBytes),
    cache: argv.cache as string | undefined,
    athena: athenaTableOf(argv),
    ...connectionOf(argv, io),
  };
}

const fromTrailCommand: CommandDefinition = {
  name: 'from-trail',
  describe: 'Generate a least-privilege policy from what a role or user did',
  builder: (parser) =>
    athenaOptions(awsOptions(parser))
      .option('role', {
        type: 'string',
        array: true,
        describe: 'role name, ARN or glob (orders-*); repeatable; assumed-role sessions count as the role',
      })
      .option('user', { type: 'string', array: true, describe: 'IAM user name, ARN or glob; repeatable' })
      .option('all', {
        type: 'boolean',
        default: false,
        describe: 'every role and IAM user seen (service-linked roles and AWS services left out)',
      })
      .option('out-dir', {
        type: 'string',
        describe: 'with several principals: one policy file per principal plus report.json in DIR',
      })
      .option('events', eventsOption)
      .option('lookup-events', lookupEventsOption)
      .option('since', { type: 'string', describe: 'only events at or after: 90d, 12h, 2024-06-01 or ISO time' })
      .option('until', { type: 'string', describe: 'only events before: same forms as --since' })
      .option('format', { choices: policyFormats, default: 'json' as const, describe: 'output format' })
      .option('out', { type: 'string', describe: 'write the policy to FILE instead of stdout' })
      .option('report', { type: 'string', describe: 'write a JSON run report to FILE' })
      .option('include-denied', { type: 'boolean', default: false, describe: 'also grant calls that were denied' })
      .option('policy-kind', {
        choices: policyKinds,
        default: 'managed' as const,
        describe:
          'size limit to split against (managed 6144, role-inline 10240, user-inline 2048) and how many can be attached (10 managed, 1 inline)',
      })
      .option('object-prefix-threshold', {
        type: 'number',
        default: 20,
        describe: 'distinct S3 keys under one prefix that collapse to prefix/* (0 = never)',
      })
      .option('common', {
        type: 'boolean',
        default: false,
        describe: 'with several principals: one shared policy of what all need, plus a remainder each',
      })
      .option('explain', {
        type: 'string',
        describe:
          'each statement with its evidence (events, first/last seen, sample event ids): stderr, or a Markdown FILE',
      })
      .option('parameterize', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe:
          'account,region,partition: write them as references (CloudFormation Fn::Sub, Terraform data sources); JSON keeps literals',
      })
      .option('stage-token', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'dev,staging,prod: stage names in resource names that become one ${Stage} (Terraform var.stage)',
      })
      .option('generalize', {
        choices: generalizeModes,
        default: 'safe' as const,
        describe:
          'exact: resources as seen; safe: also widen what the principal creates and volatile ids to their stable prefix; broad: created types to their wildcard',
      })
      .option('iam-snapshot', {
        type: 'string',
        describe:
          'resolve instance profiles to their roles for iam:PassRole: a get-account-authorization-details dump, or iam (live)',
      })
      .option('diff-against', { type: 'string', describe: 'also diff against the current policy: FILE or iam (live)' })
      .option('diff-format', { choices: diffFormats, default: 'text' as const, describe: 'format of the diff' })
      .option('diff-out', { type: 'string', describe: 'write the diff to FILE instead of stderr' })
      .option('concurrency', concurrencyOption)
      .option('workers', workersOption)
      .option('max-file-bytes', maxFileBytesOption)
      .option('cache', cacheOption)
      .example(
        '$0 from-trail --role orders-api-handler --events ./AWSLogs --since 90d',
        'policy for a Lambda role from 90 days of logs',
      )
      .example(
        '$0 from-trail --role arn:aws:iam::123456789012:role/ci/ci-deployer --events logs/ --format terraform --out policy.tf --report run.json',
        'Terraform output plus a JSON report',
      )
      .example(
        '$0 from-trail --role orders-api-handler --athena-table security.cloudtrail --athena-regions us-east-1 --since 90d',
        'the same, aggregated by Athena over the whole trail',
      )
      .example(
        "$0 from-trail --role 'orders-*' --role ci-deployer --events s3://trail-bucket/AWSLogs/ --out-dir policies/",
        'several roles from one read, one file each',
      )
      .example('$0 from-trail --all --events ./AWSLogs --since 30d --out-dir policies/', 'every role and user seen')
      .example(
        '$0 from-trail --all --events s3://trail-bucket/AWSLogs/ --since 90d --out-dir policies/ --cache .iamgen-cache',
        'nightly: read only the files added since the last run',
      ),
  run: async (argv, io) => {
    const [{ fromTrail }, { parseParameterNames, parseStageTokens }] = await Promise.all([
      import('./commands/from-trail.js'),
      import('./principal-policy.js'),
    ]);
    return fromTrail(
      {
        roles: (argv.role as string[] | undefined) ?? [],
        users: (argv.user as string[] | undefined) ?? [],
        all: argv.all as boolean,
        outDir: argv.outDir as string | undefined,
        ...(await sourceOf(argv, io)),
        since: argv.since as string | undefined,
        until: argv.until as string | undefined,
        format: argv.format as PolicyFormat,
        out: argv.out as string | undefined,
        report: argv.report as string | undefined,
        explain: argv.explain as string | undefined,
        common: argv.common as boolean,
        includeDenied: argv.includeDenied as boolean,
        policyKind: argv.policyKind as PolicyKind,
        objectPrefixThreshold: argv.objectPrefixThreshold as number,
        parameterize: parseParameterNames(argv.parameterize as string[]),
        stageTokens: parseStageTokens(argv.stageToken as string[]),
        generalize: argv.generalize as (typeof generalizeModes)[number],
        iamSnapshot: argv.iamSnapshot as string | undefined,
        diffAgainst: argv.diffAgainst as string | undefined,
        diffFormat: argv.diffFormat as DiffFormat,
        diffOut: argv.diffOut as string | undefined,
        ...connectionOf(argv, io),
      },
      io,
    );
  },
};

const rolesCommand: CommandDefinition = {
  name: 'roles',
  describe: 'List the principals seen in the logs with event counts and first/last activity',
  builder: (parser) =>
    awsOptions(parser)
      .option('events', eventsOption)
      .option('lookup-events', lookupEventsOption)
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'output format' })
      .option('concurrency', concurrencyOption)
      .option('workers', workersOption)
      .option('max-file-bytes', maxFileBytesOption)
      .option('cache', cacheOption)
      .example('$0 roles --events ./AWSLogs', 'who did what in these logs'),
  run: async (argv, io) => {
    const { roles } = await import('./commands/roles.js');
    return roles(
      {
        ...(await sourceOf(argv, io)),
        format: argv.format as 'text' | 'json',
        ...connectionOf(argv, io),
      },
      io,
    );
  },
};

const athenaCommand: CommandDefinition = {
  name: 'athena <statement>',
  describe: 'Print the Athena DDL for a CloudTrail table, or the aggregated activity query from-trail runs',
  builder: (parser) =>
    parser
      .positional('statement', {
        choices: ['ddl', 'query'] as const,
        describe: 'ddl: CREATE TABLE; query: activity of the selected principals',
      })
      .option('table', {
        type: 'string',
        alias: 'athena-table',
        default: 'cloudtrail_logs',
        describe: 'table name (database.table allowed)',
      })
      .option('location', {
        type: 'string',
        describe:
          'ddl: s3://bucket/prefix/AWSLogs/<account>/CloudTrail/ or, for an organization trail, …/AWSLogs/<org-id>/',
      })
      .option('accounts', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'ddl: member accounts of an organization trail (account partition values)',
      })
      .option('projection-start', {
        type: 'string',
        default: '2020/01/01',
        describe: 'ddl: first day partition projection covers (YYYY/MM/DD)',
      })
      .option('role', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'query: role name, ARN or glob',
      })
      .option('user', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'query: user name, ARN or glob',
      })
      .option('all', { type: 'boolean', default: false, describe: 'query: every principal' })
      .option('regions', { ...athenaRegionsOption, alias: 'athena-regions', describe: 'query: regions to read' })
      // from-trail's other Athena flags, so its arguments can be pasted here; where a query runs is not in its text.
      .option('athena-workgroup', { type: 'string', describe: checkedForQuery })
      .option('athena-output', { type: 'string', describe: checkedForQuery })
      .option('athena-catalog', { type: 'string', describe: checkedForQuery })
      .option('athena-timeout', { type: 'number', describe: checkedForQuery })
      .option('profile', { type: 'string', describe: checkedForQuery })
      .option('region', { type: 'string', describe: checkedForQuery })
      .option('endpoint-url', { type: 'string', describe: checkedForQuery })
      .option('since', { type: 'string', describe: 'query: window start (default 90d; 2024-06-01, ISO time)' })
      .option('until', { type: 'string', describe: 'query: window end (default now)' })
      .option('format', {
        choices: ['sql', 'json'] as const,
        default: 'sql' as const,
        describe: "SQL text or { sql, parameters } (parameters as StartQueryExecution's ExecutionParameters)",
      })
      .example(
        '$0 athena ddl --table security.cloudtrail --location s3://trail-bucket/AWSLogs/123456789012/CloudTrail/',
        'table DDL',
      )
      .example(
        '$0 athena ddl --table security.org_trail --location s3://trail-bucket/AWSLogs/o-abc123def4/ --accounts 111111111111 222222222222',
        'table DDL for an organization trail',
      )
      .example(
        "$0 athena query --table security.cloudtrail --role 'orders-*' --regions us-east-1 eu-west-1 --since 90d",
        'what the orders roles did, as from-trail --athena-table runs it',
      ),
  run: async (argv, io) => {
    const regions = (argv.regions as string[] | undefined)?.flatMap((r) => r.split(',')) ?? [];
    if (argv.statement === 'query') {
      if (regions.length === 0) throw new UsageError('athena query needs --regions (the regions to read)');
      checkAthenaFlags(argv);
      connectionOf(argv, io);
    }
    const { athena } = await import('./commands/athena.js');
    return athena(
      {
        statement: argv.statement as 'ddl' | 'query',
        table: argv.table as string,
        location: argv.location as string | undefined,
        accounts: (argv.accounts as string[]).flatMap((a) => a.split(',')),
        projectionStart: argv.projectionStart as string,
        roles: argv.role as string[],
        users: argv.user as string[],
        all: argv.all as boolean,
        regions,
        since: argv.since as string | undefined,
        until: argv.until as string | undefined,
        format: argv.format as 'sql' | 'json',
      },
      io,
    );
  },
};

const diffCommand: CommandDefinition = {
  name: 'diff',
  describe: 'Compare the current policy with a proposed one: what is removed, added, kept (exit 3 when it changes)',
  builder: (parser) =>
    awsOptions(
      parser
        .option('current', {
          type: 'string',
          demandOption: 'give --current: a policy file, an authorization-details dump, or iam:role/NAME',
          describe:
            'current policy: FILE (JSON/YAML, documents or get-account-authorization-details), iam:role/NAME, iam:user/NAME',
        })
        .option('proposed', {
          type: 'string',
          demandOption: 'give --proposed FILE',
          describe: 'proposed policy file (JSON/YAML)',
        })
        .option('role', { type: 'string', describe: 'which role of an authorization-details dump' })
        .option('user', { type: 'string', describe: 'which user of an authorization-details dump' })
        .option('format', {
          choices: diffFormats,
          default: 'text' as const,
          describe: 'text, markdown (PR body) or json',
        })
        .option('data-events', {
          type: 'boolean',
          default: false,
          describe: 'the logs behind the proposal held data events (else data-plane removals are "unknown")',
        }),
    )
      .example(
        '$0 diff --current iam:role/orders-api-handler --proposed policy.json --format markdown',
        'PR body against live IAM',
      )
      .example(
        '$0 diff --current auth-details.json --role ci-deployer --proposed policy.json',
        'against an account dump',
      ),
  run: async (argv, io) => {
    const { diff } = await import('./commands/diff.js');
    return diff(
      {
        current: argv.current as string,
        proposed: argv.proposed as string,
        role: argv.role as string | undefined,
        user: argv.user as string | undefined,
        format: argv.format as DiffFormat,
        dataEvents: argv.dataEvents as boolean,
        ...connectionOf(argv, io),
      },
      io,
    );
  },
};

const proposeCommand: CommandDefinition = {
  name: 'propose',
  describe: 'Open pull requests that shrink the policies of a config to what their principals used (nightly job)',
  builder: (parser) =>
    parser
      .option('config', {
        type: 'string',
        default: 'iamgen.config.yaml',
        describe: 'config file (YAML or JSON): sources, window, policies, safeguards, pull request settings',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe: 'do everything but write, commit, push and call GitHub; print what would be proposed',
      })
      .option('only', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'only these principals (names)',
      })
      .option('report', { type: 'string', describe: 'write a JSON report of every principal to FILE' })
      .example('$0 propose --config iamgen.config.yaml --dry-run', 'what the nightly run would propose')
      .example('$0 propose --only orders-api-handler', 'one principal (GITHUB_TOKEN and GITHUB_REPOSITORY set)'),
  run: async (argv, io) => {
    const { propose } = await import('./propose/run.js');
    return propose(
      {
        config: argv.config as string,
        dryRun: argv.dryRun as boolean,
        only: (argv.only as string[]).flatMap((name) => name.split(',')).filter((name) => name !== ''),
        report: argv.report as string | undefined,
      },
      io,
    );
  },
};

const commands: readonly CommandDefinition[] = [
  fromTrailCommand,
  rolesCommand,
  diffCommand,
  athenaCommand,
  proposeCommand,
];

/** The version of the installed package, for `--version` and bug reports. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Options where an empty value means something: `--explain` alone prints to stderr. */
const emptyAllowed = new Set(['explain']);

/**
 * An empty value (`--out-dir ""`, `--events ""`) is a usage error: taken as a path it would be the working folder,
 * which a script with an unset variable did not mean.
 */
function rejectEmptyValues(parsed: Record<string, unknown>): void {
  for (const [flag, value] of Object.entries(parsed)) {
    // yargs gives each option twice (out-dir, outDir): the spelling with capitals is skipped.
    if (flag === '_' || flag === '$0' || /[A-Z]/.test(flag) || emptyAllowed.has(flag)) continue;
    if (value === '' || (Array.isArray(value) && value.includes(''))) {
      throw new UsageError(`--${flag} needs a value; it was given an empty one`);
    }
  }
}

/** Runs one CLI invocation and returns its exit code; never throws for user errors. */
export async function runCli(argv: readonly string[], rawIo: CliIo): Promise<number> {
  const io: CliIo = { ...rawIo, stdout: safeWriter(rawIo.stdout, false), stderr: safeWriter(rawIo.stderr, true) };
  let chosen: Command | undefined;
  let parser = argvParser()
    .scriptName('iamgen')
    .usage('$0 <command> [options]\n\nLeast-privilege IAM policies from CloudTrail activity.')
    .strict()
    .demandCommand(1, 'name a command: iamgen <command> --help')
    .recommendCommands()
    .wrap(Math.min(120, 100))
    .exitProcess(false)
    .help()
    .version(packageVersion());
  for (const command of commands) {
    parser = parser.command(command.name, command.describe, command.builder, (parsed) => {
      chosen = () => {
        rejectEmptyValues(parsed as Record<string, unknown>);
        return command.run(parsed as Record<string, unknown>, io);
      };
    });
  }
  let usageError: string | undefined;
  let helpShown = false;
  await parser.parseAsync([...argv], {}, (error: Error | undefined, _parsed: unknown, output: string) => {
    if (error) usageError = error.message;
    else if (output) {
      helpShown = true;
      io.stdout.write(`${output}\n`);
    }
  });
  if (usageError !== undefined) {
    io.stderr.write(`iamgen: ${usageError}\n`);
    return exitCodes.usage;
  }
  if (chosen === undefined) return helpShown ? exitCodes.ok : exitCodes.usage;
  try {
    return await chosen();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`iamgen: ${error.message}\n`);
      return exitCodes.usage;
    }
    // The interrupt's handler says what happened and sets the exit code.
    if (error instanceof WriteInterrupted) return exitCodes.runFailure;
    if (error instanceof RunFailure) {
      io.stderr.write(`iamgen: ${error.message}\n`);
      return exitCodes.runFailure;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`iamgen: internal error: ${message}\n`);
    if (io.env.IAMGEN_DEBUG !== undefined && error instanceof Error) io.stderr.write(`${error.stack ?? ''}\n`);
    return exitCodes.runFailure;
  }
}
