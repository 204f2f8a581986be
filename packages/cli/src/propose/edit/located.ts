import type { PolicyDocument } from '@iamgen/core';
import { isRecord } from '../../json-record.js';

/** Which policy of a file an entry means, for files that hold several. */
export interface PolicyTarget {
  /** CloudFormation/SAM logical id, or Terraform resource address (`aws_iam_policy.orders`). */
  readonly resource?: string | undefined;
  /** The `PolicyName` of a role's, user's or group's inline `Policies` entry when it has several. */
  readonly policyName?: string | undefined;
}

/** A policy found in a file: what it grants today, and how to write a replacement into the same text. */
export interface LocatedPolicy {
  readonly policy: PolicyDocument;
  /** Where in the file, for messages: `Resources.OrdersPolicy.Properties.PolicyDocument`. */
  readonly where: string;
  /** An inline policy of a role, user or group (their size limits differ from a managed policy's). */
  readonly inline: boolean;
  /** The whole file with only the policy replaced. */
  rewrite(next: PolicyDocument): string;
}

/** Why a file cannot be edited safely; the entry is reported and the file left alone. */
export interface Unsupported {
  readonly unsupported: string;
}

export type Location = LocatedPolicy | Unsupported;

export const isUnsupported = (value: Location): value is Unsupported => 'unsupported' in value;

/**
 * A value read from a file as a policy document, or the reason it is not one. A single statement object is
 * accepted (IAM accepts it) and read as a list.
 */
export function asPolicyDocument(value: unknown, where: string): PolicyDocument | Unsupported {
  if (!isRecord(value) || !('Statement' in value)) return { unsupported: `${where} is not a policy document` };
  const statements = Array.isArray(value.Statement) ? value.Statement : [value.Statement];
  const bad = statements.findIndex(
    (s) => !isRecord(s) || (s.Effect !== 'Allow' && s.Effect !== 'Deny') || !('Action' in s || 'NotAction' in s),
  );
  if (bad >= 0) return { unsupported: `${where}: Statement ${bad + 1} has no Effect Allow/Deny or no Action` };
  const version = value.Version === undefined ? '2012-10-17' : value.Version;
  if (version !== '2012-10-17' && version !== '2008-10-17')
    return { unsupported: `${where}: Version ${JSON.stringify(version)} is not an IAM policy version` };
  return { ...value, Version: version, Statement: statements } as unknown as PolicyDocument;
}

/** The indentation unit a file uses (first indented line), two spaces when none. */
export function indentUnitOf(text: string): string {
  const match = /\n([ \t]+)\S/.exec(text);
  return match?.[1] ?? '  ';
}

/** Leading whitespace of the line holding `offset`. */
export function lineIndentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}

/** 1-based, for messages that point into the file. */
export const lineNumberAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;
