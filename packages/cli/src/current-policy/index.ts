import { resolve } from 'node:path';
import type { PolicyDocument } from '@iamgen/core';
import type { AwsConnection } from '../aws-clients.js';
import { UsageError } from '../cli-io.js';
import type { PrincipalRef } from './from-file.js';
import { readPolicyFile } from './from-file.js';
import { iamClient, readPoliciesFromIam } from './from-iam.js';

export type { PrincipalRef } from './from-file.js';

const liveSpec = /^iam:(role|user)\/(.+)$/;

/**
 * The current policy from `iam:role/NAME` / `iam:user/NAME` (live IAM), `iam` (live, for `principal`),
 * or a file (policy documents or an authorization-details dump).
 */
export async function loadCurrentPolicies(
  spec: string,
  principal: PrincipalRef | undefined,
  connection: AwsConnection,
  cwd: string,
): Promise<PolicyDocument[]> {
  const live = liveSpec.exec(spec);
  if (live)
    return readPoliciesFromIam(iamClient(connection), { kind: live[1] as 'role' | 'user', value: live[2] ?? '' });
  if (spec === 'iam') {
    if (principal === undefined) throw new UsageError('"iam" as the current policy needs --role or --user');
    return readPoliciesFromIam(iamClient(connection), principal);
  }
  return readPolicyFile(resolve(cwd, spec), principal, spec);
}
