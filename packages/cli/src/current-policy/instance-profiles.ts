import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { paginateListInstanceProfiles } from '@aws-sdk/client-iam';
import type { AwsConnection } from '../aws-connection.js';
import { describeAwsError } from '../aws-connection.js';
import { RunFailure, UsageError } from '../cli-io.js';
import { isRecord } from '../json-record.js';
import { iamClient } from './from-iam.js';

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Instance profile ARN → its roles' ARNs, from `--iam-snapshot`: an `aws iam get-account-authorization-details`
 * dump (profiles are listed under each role) or `iam` for live IAM (ListInstanceProfiles).
 */
export async function readInstanceProfiles(
  spec: string,
  connection: AwsConnection,
  cwd: string,
): Promise<Map<string, string[]>> {
  return spec === 'iam' ? fromLiveIam(connection) : fromDump(resolve(cwd, spec), spec);
}

async function fromDump(path: string, shown: string): Promise<Map<string, string[]>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'not valid JSON' : 'cannot read the file';
    throw new UsageError(`${shown}: ${reason}`);
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.RoleDetailList))
    throw new UsageError(`${shown}: not an authorization-details dump (no RoleDetailList)`);
  const profiles = new Map<string, string[]>();
  for (const role of parsed.RoleDetailList.filter(isRecord)) {
    if (typeof role.Arn !== 'string') continue;
    for (const profile of asArray(role.InstanceProfileList).filter(isRecord))
      if (typeof profile.Arn === 'string') add(profiles, profile.Arn, role.Arn);
  }
  return profiles;
}

async function fromLiveIam(connection: AwsConnection): Promise<Map<string, string[]>> {
  const profiles = new Map<string, string[]>();
  const client = await iamClient(connection);
  try {
    for await (const page of paginateListInstanceProfiles({ client }, {}))
      for (const profile of page.InstanceProfiles ?? [])
        for (const role of profile.Roles ?? [])
          if (profile.Arn !== undefined && role.Arn !== undefined) add(profiles, profile.Arn, role.Arn);
  } catch (error) {
    throw new RunFailure(`cannot list instance profiles from IAM (${describeAwsError(error)})`);
  }
  return profiles;
}

function add(profiles: Map<string, string[]>, profile: string, role: string): void {
  const roles = profiles.get(profile) ?? [];
  if (!roles.includes(role)) roles.push(role);
  profiles.set(profile, roles.sort());
}
