import { isRecord } from './mapping/request-values.js';
import type { ConditionBlock } from './types.js';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17' | '2008-10-17';
  readonly Id?: string;
  readonly Statement: readonly PolicyStatement[];
}

const isNameList = (value: unknown): boolean =>
  typeof value === 'string' ||
  (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string'));

/**
 * Why a value read from a file is not an identity policy document IAM would accept, in a few words (`Statement 2
 * has no Action or NotAction`), or undefined when it is one. A single statement object is allowed, as IAM allows it.
 */
export function policyDocumentProblem(value: unknown): string | undefined {
  if (!isRecord(value) || !('Statement' in value)) return 'not a policy document (no "Statement")';
  const statements = Array.isArray(value.Statement) ? value.Statement : [value.Statement];
  if (value.Version !== undefined && value.Version !== '2012-10-17' && value.Version !== '2008-10-17')
    return `Version ${JSON.stringify(value.Version)} is not an IAM policy version`;
  for (const [index, statement] of statements.entries()) {
    const which = `Statement ${index + 1}`;
    if (!isRecord(statement)) return `${which} is not an object`;
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return `${which} has no Effect Allow or Deny`;
    const actions = ['Action', 'NotAction'].filter((key) => key in statement);
    if (actions.length !== 1) return `${which} needs exactly one of Action or NotAction`;
    if (!isNameList(statement[actions[0] as string])) return `${which}: ${actions[0]} is not a name or a list of names`;
    const resources = ['Resource', 'NotResource'].filter((key) => key in statement);
    if (resources.length !== 1) return `${which} needs exactly one of Resource or NotResource`;
    if (!isNameList(statement[resources[0] as string]))
      return `${which}: ${resources[0]} is not an ARN or a list of ARNs`;
    if ('Condition' in statement && !isRecord(statement.Condition)) return `${which}: Condition is not an object`;
  }
  return undefined;
}
