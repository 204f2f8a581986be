import type { PolicyDocument, PolicyStatement } from '../policy-document.js';
import { evaluateCondition } from './conditions.js';
import { substituteVariables } from './policy-variables.js';
import type { AccessRequest } from './request.js';
import { requestContext } from './request.js';
import { wildcardMatch } from './wildcard.js';

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  readonly decision: Decision;
  /** Sids (or positions, `#doc.statement`) of the statements that allowed or denied. */
  readonly matched: readonly string[];
  /** Problems in the policies met on the way (unknown operators…): data, never thrown. */
  readonly problems: readonly string[];
}

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/**
 * IAM evaluation for identity policies alone: an explicit Deny wins, else any Allow allows, else implicit deny.
 * Actions match case-insensitively, resources case-sensitively; policy variables resolve from the context.
 */
export function evaluate(documents: readonly PolicyDocument[], request: AccessRequest): Evaluation {
  const context = requestContext(request.context);
  const allowed: string[] = [];
  const denied: string[] = [];
  const problems: string[] = [];
  documents.forEach((document, d) => {
    const statements = Array.isArray(document.Statement)
      ? document.Statement
      : [document.Statement as unknown as PolicyStatement];
    statements.forEach((statement, s) => {
      const name = statement.Sid ?? `#${d + 1}.${s + 1}`;
      if (!statementApplies(statement, request, context)) return;
      const condition = evaluateCondition(statement.Condition, context);
      if ('error' in condition) {
        problems.push(`${name}: ${condition.error}`);
        return;
      }
      if (!condition.matches) return;
      if (statement.Effect === 'Deny') denied.push(name);
      else if (statement.Effect === 'Allow') allowed.push(name);
      else problems.push(`${name}: Effect must be Allow or Deny`);
    });
  });
  if (denied.length > 0) return { decision: 'explicit-deny', matched: denied, problems };
  if (allowed.length > 0) return { decision: 'allow', matched: allowed, problems };
  return { decision: 'implicit-deny', matched: [], problems };
}

function statementApplies(
  statement: PolicyStatement,
  request: AccessRequest,
  context: ReturnType<typeof requestContext>,
): boolean {
  const actionMatches = (patterns: readonly string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
  const resourceMatches = (patterns: readonly string[]) =>
    patterns.some((p) => {
      const resolved = substituteVariables(p, context);
      return resolved !== undefined && wildcardMatch(resolved, request.resource);
    });
  const action =
    statement.Action !== undefined
      ? actionMatches(asList(statement.Action))
      : statement.NotAction !== undefined && !actionMatches(asList(statement.NotAction));
  if (!action) return false;
  if (statement.Resource !== undefined) return resourceMatches(asList(statement.Resource));
  if (statement.NotResource !== undefined) return !resourceMatches(asList(statement.NotResource));
  return false;
}
