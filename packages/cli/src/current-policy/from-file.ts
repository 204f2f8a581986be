import { readFile } from 'node:fs/promises';
import type { PolicyDocument } from '@iamgen/core';
import { policyDocumentProblem } from '@iamgen/core';
import { UsageError } from '../cli-io.js';
import { isRecord } from '../json-record.js';

type Json = Record<string, unknown>;

/**
 * Policy documents in dumps may be objects or URL-encoded JSON strings (as IAM's API returns them). A document IAM
 * would refuse is a usage error naming what is wrong: read as it stands, a statement without Action would count as
 * every action, and a Statement that is not a list as no statement.
 */
export function policyDocumentOf(value: unknown, shown: string): PolicyDocument | undefined {
  let document = value;
  if (typeof document === 'string') {
    try {
      document = JSON.parse(document.trimStart().startsWith('{') ? document : decodeURIComponent(document));
    } catch {
      return undefined;
    }
  }
  if (!isRecord(document) || !('Statement' in document)) return undefined;
  const problem = policyDocumentProblem(document);
  if (problem !== undefined) throw new UsageError(`${shown}: ${problem}`);
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return { ...document, Statement: statements } as unknown as PolicyDocument;
}

export interface PrincipalRef {
  readonly kind: 'role' | 'user';
  /** Name or ARN. */
  readonly value: string;
}

/**
 * The current policies of a principal from a file: a policy document, a list of them, `{ "PolicyDocument": … }`
 * items, or an `aws iam get-account-authorization-details` dump (then `principal` picks the role or user:
 * its inline policies plus the default versions of its attached managed policies).
 */
export async function readPolicyFile(path: string, principal?: PrincipalRef, shown = path): Promise<PolicyDocument[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`${shown}: cannot read the policy file`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(path) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${shown}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'} (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    );
  }
  if (isRecord(parsed) && (Array.isArray(parsed.RoleDetailList) || Array.isArray(parsed.UserDetailList))) {
    if (principal === undefined)
      throw new UsageError(`${shown}: an authorization-details dump needs --role or --user to pick the principal`);
    return fromAuthorizationDetails(parsed, principal, shown);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const documents = items.map((item) =>
    policyDocumentOf(isRecord(item) && 'PolicyDocument' in item ? item.PolicyDocument : item, shown),
  );
  if (documents.length === 0 || documents.some((d) => d === undefined)) {
    throw new UsageError(
      `${shown}: expected a policy document (with "Statement"), a list of them, or an authorization-details dump`,
    );
  }
  return documents as PolicyDocument[];
}

function fromAuthorizationDetails(dump: Json, principal: PrincipalRef, path: string): PolicyDocument[] {
  const list = (principal.kind === 'role' ? dump.RoleDetailList : dump.UserDetailList) as unknown[];
  const nameKey = principal.kind === 'role' ? 'RoleName' : 'UserName';
  const entry = list.filter(isRecord).find((e) => e.Arn === principal.value || e[nameKey] === principal.value);
  if (entry === undefined)
    throw new UsageError(`${path}: no ${principal.kind} ${principal.value} in the authorization details`);
  const inlineKey = principal.kind === 'role' ? 'RolePolicyList' : 'UserPolicyList';
  const inline = (Array.isArray(entry[inlineKey]) ? entry[inlineKey] : [])
    .filter(isRecord)
    .map((p) => policyDocumentOf(p.PolicyDocument, `${path}: ${String(p.PolicyName ?? 'an inline policy')}`));
  const managedPolicies = (Array.isArray(dump.Policies) ? dump.Policies : []).filter(isRecord);
  const attached = (Array.isArray(entry.AttachedManagedPolicies) ? entry.AttachedManagedPolicies : []).filter(isRecord);
  const managed = attached.map((a) => {
    const policy = managedPolicies.find((p) => p.Arn === a.PolicyArn);
    if (policy === undefined)
      throw new UsageError(`${path}: attached policy ${String(a.PolicyArn)} is not in the dump's Policies`);
    const versions = (Array.isArray(policy.PolicyVersionList) ? policy.PolicyVersionList : []).filter(isRecord);
    const version =
      versions.find((v) => v.IsDefaultVersion === true) ??
      versions.find((v) => v.VersionId === policy.DefaultVersionId);
    return policyDocumentOf(version?.Document, `${path}: ${String(a.PolicyArn)}`);
  });
  const documents = [...inline, ...managed];
  if (documents.some((d) => d === undefined))
    throw new UsageError(`${path}: a policy document of ${principal.value} could not be read`);
  return documents as PolicyDocument[];
}
