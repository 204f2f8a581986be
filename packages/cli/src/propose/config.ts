import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { principalName } from '@iamgen/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../cli-io.js';
import { parseTimeBound } from '../time-window.js';

const name = z.string().trim().min(1, 'must not be empty');

/** A principal's name, from a name or an ARN: it names the branch, `--only` and messages. */
function shortNameOf(principal: string): string {
  return principal.startsWith('arn:') ? principalName(principal) : principal;
}

/** The branch of a principal's proposal: its name in the characters a git branch may hold. */
export function branchName(prefix: string, principal: string): string {
  const safe = principal
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+|\.lock$|\.$/g, '');
  return `${prefix}${safe || 'principal'}`;
}
const stringList = z.union([name.transform((value) => [value]), z.array(name)]);
const days = z.number().min(0, 'must be 0 or more');

const safeguardsShape = {
  /** Skip principals whose first event in the window is younger than this. */
  minObservedDays: days,
  /** Skip principals with fewer events in the window. */
  minEvents: z.number().int('must be a whole number').min(0, 'must be 0 or more'),
  /** Refuse the run when the newest event read is older than this: a broken trail must not look like "unused". */
  maxDataAgeDays: days,
  /** Statements whose Sid matches this (a regular expression) are carried over untouched. */
  keepSidPattern: name.refine(isRegExp, 'is not a valid regular expression'),
  /** Grants added to the file within this many days are kept. */
  graceDays: days,
  /**
   * Log files and records the read could not use that are tolerated: past this, nothing is proposed (an unreadable
   * file may hold the very calls a removal would break).
   */
  maxUnreadableInputs: z.number().int('must be a whole number').min(0, 'must be 0 or more'),
};

export const defaultSafeguards: Safeguards = {
  minObservedDays: 30,
  minEvents: 10,
  maxDataAgeDays: 3,
  keepSidPattern: 'Keep',
  graceDays: 14,
  maxUnreadableInputs: 0,
};

const safeguards = z.object(safeguardsShape).partial().strict();

const policyEntry = z
  .object({
    role: name.optional(),
    user: name.optional(),
    file: name,
    /** CloudFormation/SAM logical id or Terraform resource address, for files with several policies. */
    resource: name.optional(),
    /** The inline policy's name, for a role, user or group with several inline `Policies`. */
    policyName: name.optional(),
    safeguards: safeguards.optional(),
  })
  .strict()
  .refine((entry) => (entry.role === undefined) !== (entry.user === undefined), {
    message: 'give exactly one of role or user',
  });

const timeBound = (key: string) =>
  name.refine((value) => {
    try {
      parseTimeBound(key, value, new Date());
      return true;
    } catch {
      return false;
    }
  }, 'expected a duration such as 90d or a date such as 2024-06-01');

const configSchema = z
  .object({
    events: stringList.default([]),
    lookupEvents: stringList.default([]),
    /** Read the trail through an Athena table: one aggregated query for every principal (as --athena-table). */
    athena: z
      .object({
        table: name,
        regions: z.array(name).min(1, 'list the regions to read'),
        workgroup: name.regex(/^[A-Za-z0-9._-]{1,128}$/, 'is not a workgroup name').optional(),
        output: name
          .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'is not an s3://bucket/prefix/ location')
          .optional(),
        catalog: name.regex(/^[A-Za-z0-9_@-]{1,256}$/, 'is not a data catalog name').optional(),
        timeoutSeconds: z.number().positive().default(1800),
      })
      .strict()
      .optional(),
    since: timeBound('since').default('90d'),
    until: timeBound('until').optional(),
    aws: z.object({ profile: name, region: name, endpointUrl: name }).partial().strict().default({}),
    concurrency: z.number().int().min(1).default(4),
    /** Folder of per-file analyses kept between runs, so each night reads only the new log files. */
    cache: name.optional(),
    /** Worker threads for reading log files; chosen by the size of the read when absent, 0 for none. */
    workers: z.number().int().min(0).optional(),
    objectPrefixThreshold: z.number().int().min(0).default(20),
    policies: z.array(policyEntry).min(1, 'list at least one policy'),
    safeguards: safeguards.default({}),
    baseBranch: name.optional(),
    branchPrefix: name.default('iamgen/'),
    labels: stringList.default([]),
    /** GitHub logins, or `org/team` for teams. */
    reviewers: stringList.default([]),
    /** Placeholders: {principal}, {kind}, {file}, {reduction}. */
    title: name.default('iamgen: least privilege for {kind} {principal} ({reduction}% fewer grants)'),
    draft: z.boolean().default(false),
    commitAuthor: z.object({ name, email: name }).strict().optional(),
  })
  .strict();

export type Safeguards = { readonly [K in keyof typeof safeguardsShape]: z.infer<(typeof safeguardsShape)[K]> };

export interface PolicyEntry {
  readonly kind: 'role' | 'user';
  /** Name or ARN, as written in the config. */
  readonly principal: string;
  /** The principal's name: `--only`, messages. */
  readonly name: string;
  /** The branch of its proposal (`branchName`, told apart from another entry's that would be the same). */
  readonly branch: string;
  readonly file: string;
  readonly resource?: string | undefined;
  readonly policyName?: string | undefined;
  readonly safeguards: Safeguards;
}

type Parsed = z.infer<typeof configSchema>;

export interface ProposeConfig extends Omit<Parsed, 'policies' | 'safeguards'> {
  readonly policies: readonly PolicyEntry[];
  /** Where the config was read, for messages. */
  readonly path: string;
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/** Reads and checks `iamgen.config.yaml` (or `.json`); every problem names its key, one line in all. */
export async function loadConfig(path: string, cwd: string): Promise<ProposeConfig> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch {
    throw new UsageError(`${path}: cannot read the config file`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new UsageError(`${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${reason})`);
  }
  return parseConfig(raw, path);
}

export function parseConfig(raw: unknown, path: string): ProposeConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((issue) => {
      const where = keyPath(issue.path);
      const what =
        issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
          : issue.code === 'invalid_type' && /received undefined/.test(issue.message)
            ? 'is required'
            : issue.message.replace(/^Invalid input: /, '');
      return where === '' ? what : `${where}: ${what}`;
    });
    const more = result.error.issues.length > 5 ? `; and ${result.error.issues.length - 5} more` : '';
    throw new UsageError(`${path}: ${problems.join('; ')}${more}`);
  }
  const parsed = result.data;
  if (parsed.events.length === 0 && parsed.lookupEvents.length === 0 && parsed.athena === undefined)
    throw new UsageError(`${path}: give events, lookupEvents or athena: where to read CloudTrail`);
  if (parsed.athena !== undefined && parsed.events.length + parsed.lookupEvents.length > 0)
    throw new UsageError(`${path}: athena reads the whole trail; give it without events and lookupEvents`);
  const seen = new Map<string, number>();
  // Names that differ only in characters a branch cannot hold (svc@prod, svc+prod) would share one branch: each
  // of those gets a suffix from its own name, the same whatever the order of the entries.
  const plainBranches = new Map<string, number>();
  for (const entry of parsed.policies) {
    const plain = branchName(parsed.branchPrefix, shortNameOf(entry.role ?? entry.user ?? ''));
    plainBranches.set(plain, (plainBranches.get(plain) ?? 0) + 1);
  }
  const policies = parsed.policies.map((entry, index): PolicyEntry => {
    const kind = entry.role !== undefined ? 'role' : 'user';
    const principal = entry.role ?? entry.user ?? '';
    const shortName = shortNameOf(principal);
    // Names, not ARNs, pick the branch (`iamgen/<name>`), so a role and a user of one name would share it too.
    const earlier = seen.get(shortName);
    if (earlier !== undefined)
      throw new UsageError(
        `${path}: policies[${index}].${kind}: ${principal} has the name of policies[${earlier}]; one entry per principal name (it names the branch)`,
      );
    seen.set(shortName, index);
    const plain = branchName(parsed.branchPrefix, shortName);
    const branch =
      (plainBranches.get(plain) ?? 0) > 1
        ? `${plain}-${createHash('sha256').update(shortName).digest('hex').slice(0, 8)}`
        : plain;
    return {
      kind,
      principal,
      name: shortName,
      branch,
      file: entry.file,
      resource: entry.resource,
      policyName: entry.policyName,
      safeguards: { ...defaultSafeguards, ...parsed.safeguards, ...entry.safeguards } as Safeguards,
    };
  });
  return { ...parsed, policies, path };
}
