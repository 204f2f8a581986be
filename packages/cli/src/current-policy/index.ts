import { resolve } from 'node:path';
import type { PolicyDocument } from '@iamgen/core';
import type { AwsConnection } from '../aws-connection.js';
import { UsageError } from '../cli-io.js';
import type { PrincipalRef } from './from-file.js';
import { readPolicyFile } from './from-file.js';

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
  if (live || spec === 'iam') {
    const target = live ? { kind: live[1] as 'role' | 'user', value: live[2] ?? '' } : principal;
    if (target === undefined) throw new UsageError('"iam" as the current policy needs --role or --user');
    // The AWS SDK is loaded only by runs that talk to AWS: it is most of the CLI's start-up time.
    const { iamClient, readPoliciesFromIam } = await import('./from-iam.js');
    return readPoliciesFromIam(await iamClient(connection), target);
  }
  return readPolicyFile(resolve(cwd, spec), principal, spec);
}
