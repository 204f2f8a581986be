import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListRolePolicies,
  paginateListUserPolicies,
} from '@aws-sdk/client-iam';
import type { PolicyDocument } from '@iamgen/core';
import { regionalClient } from '../aws-clients.js';
import type { AwsConnection } from '../aws-connection.js';
import { describeAwsError } from '../aws-connection.js';
import { RunFailure, UsageError } from '../cli-io.js';
import type { PrincipalRef } from './from-file.js';
import { policyDocumentOf } from './from-file.js';

/** IAM is global: without a region it is reached as the AWS CLI reaches it, through us-east-1. */
export function iamClient(connection: AwsConnection): Promise<IAMClient> {
  return regionalClient('IAM', connection, (config) => new IAMClient(config), 'us-east-1');
}

const nameOf = (value: string) => value.slice(value.lastIndexOf('/') + 1);

/** The role- and user-flavoured IAM calls, behind one shape. */
interface PrincipalApi {
  inlineNames(): AsyncIterable<string>;
  inlineDocument(policyName: string): Promise<string | undefined>;
  attachedArns(): AsyncIterable<string>;
}

function roleApi(client: IAMClient, name: string): PrincipalApi {
  return {
    async *inlineNames() {
      for await (const page of paginateListRolePolicies({ client }, { RoleName: name })) yield* page.PolicyNames ?? [];
    },
    async inlineDocument(policyName) {
      return (await client.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))).PolicyDocument;
    },
    async *attachedArns() {
      for await (const page of paginateListAttachedRolePolicies({ client }, { RoleName: name }))
        for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn !== undefined) yield policy.PolicyArn;
    },
  };
}

function userApi(client: IAMClient, name: string): PrincipalApi {
  return {
    async *inlineNames() {
      for await (const page of paginateListUserPolicies({ client }, { UserName: name })) yield* page.PolicyNames ?? [];
    },
    async inlineDocument(policyName) {
      return (await client.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }))).PolicyDocument;
    },
    async *attachedArns() {
      for await (const page of paginateListAttachedUserPolicies({ client }, { UserName: name }))
        for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn !== undefined) yield policy.PolicyArn;
    },
  };
}

/** A role's or user's policies as IAM has them now: inline policies and the default version of each attached one. */
export async function readPoliciesFromIam(client: IAMClient, principal: PrincipalRef): Promise<PolicyDocument[]> {
  const name = nameOf(principal.value);
  try {
    const api = principal.kind === 'role' ? roleApi(client, name) : userApi(client, name);
    const documents: (PolicyDocument | undefined)[] = [];
    for await (const policyName of api.inlineNames())
      documents.push(policyDocumentOf(await api.inlineDocument(policyName), `inline policy ${policyName}`));
    const attachedArns: string[] = [];
    for await (const arn of api.attachedArns()) attachedArns.push(arn);
    for (const arn of attachedArns) {
      const { Policy } = await client.send(new GetPolicyCommand({ PolicyArn: arn }));
      const version = await client.send(
        new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: Policy?.DefaultVersionId }),
      );
      documents.push(policyDocumentOf(version.PolicyVersion?.Document, arn));
    }
    if (documents.some((d) => d === undefined))
      throw new RunFailure(`IAM returned a policy of ${principal.kind} ${name} that is not a policy document`);
    return documents as PolicyDocument[];
  } catch (error) {
    if (error instanceof RunFailure) throw error;
    // IAM checked its documents when they were written: one iamgen cannot read is a failure to read, not a usage error.
    if (error instanceof UsageError)
      throw new RunFailure(`IAM returned a policy of ${principal.kind} ${name}: ${error.message}`);
    throw new RunFailure(`cannot read the policies of ${principal.kind} ${name} from IAM (${describeAwsError(error)})`);
  }
}
