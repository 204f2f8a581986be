import type { ReferenceName } from './parameterize.js';
import { parameterReferences } from './parameterize.js';
import type { PolicyDocument } from './policy-document.js';

/** Policy JSON as IAM and people read it: 2-space indent, trailing newline. */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export interface RenderTarget {
  /** Name of the role or user the policy is for; used to name IaC resources. */
  readonly principalName: string;
  readonly principalKind: 'role' | 'user';
  /** Principals the policy is attached to, when not only the one it is named after (a shared policy). */
  readonly attachTo?: readonly { readonly name: string; readonly kind: 'role' | 'user' }[];
  /** Values `${Stage}` may take (from `--stage-token`): a template parameter or variable restricted to them. */
  readonly stages?: readonly string[];
  /**
   * Inline policies of the principal (`--policy-kind role-inline` or `user-inline`) instead of managed ones: the
   * size they were fitted to is an inline policy's. A policy shared by several principals stays managed.
   */
  readonly inline?: boolean;
}

/** Whether the documents go inline into the one principal they are for. */
function isInline(target: RenderTarget): boolean {
  return target.inline === true && target.attachTo === undefined;
}

/** Which parameter references the documents use, in a fixed order. */
function referencesIn(documents: readonly PolicyDocument[]): ReferenceName[] {
  const text = JSON.stringify(documents);
  return (Object.keys(parameterReferences) as ReferenceName[]).filter((name) =>
    text.includes(parameterReferences[name]),
  );
}

/** Terraform expressions for the references, from data sources that need no arguments. */
const terraformReferences: Readonly<Record<ReferenceName, string>> = {
  account: 'data.aws_caller_identity.current.account_id',
  region: 'data.aws_region.current.name',
  partition: 'data.aws_partition.current.partition',
  stage: 'var.stage',
};

function terraformPreamble(used: readonly ReferenceName[], target: RenderTarget): string[] {
  const blocks: string[] = [];
  if (used.includes('account')) blocks.push('data "aws_caller_identity" "current" {}');
  if (used.includes('region')) blocks.push('data "aws_region" "current" {}');
  if (used.includes('partition')) blocks.push('data "aws_partition" "current" {}');
  if (used.includes('stage')) {
    const stages = target.stages ?? [];
    blocks.push(
      [
        'variable "stage" {',
        '  type        = string',
        `  description = ${JSON.stringify(`Stage the policy is for: ${stages.join(', ')}`)}`,
        '  validation {',
        `    condition     = contains(${JSON.stringify(stages)}, var.stage)`,
        `    error_message = ${JSON.stringify(`stage must be one of ${stages.join(', ')}`)}`,
        '  }',
        '}',
      ].join('\n'),
    );
  }
  return blocks;
}

function logicalName(target: RenderTarget, index: number, count: number): string {
  const base = target.principalName
    .replace(/[^A-Za-z0-9]/g, ' ')
    .replace(/\s+(.)/g, (_, c: string) => c.toUpperCase())
    .replace(/\s/g, '');
  const pascal = base.charAt(0).toUpperCase() + base.slice(1);
  return `${pascal || 'Principal'}Policy${count > 1 ? index + 1 : ''}`;
}

function attachments(target: RenderTarget): readonly { readonly name: string; readonly kind: 'role' | 'user' }[] {
  return target.attachTo ?? [{ name: target.principalName, kind: target.principalKind }];
}

function snake(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase();
}

function policyName(target: RenderTarget, index: number, count: number): string {
  return `${target.principalName}-iamgen${count > 1 ? `-${index + 1}` : ''}`;
}

/** Terraform: one `aws_iam_policy` per document with the document as an HCL object in `jsonencode`. */
export function renderTerraform(documents: readonly PolicyDocument[], target: RenderTarget): string {
  const blocks = documents.map((document, index) => {
    const name = terraformName(logicalName(target, index, documents.length));
    if (isInline(target)) {
      const kind = target.principalKind;
      return [
        `resource "aws_iam_${kind}_policy" "${name}" {`,
        `  name   = ${hclQuoted(policyName(target, index, documents.length))}`,
        `  ${kind}   = ${hclQuoted(target.principalName)}`,
        `  policy = jsonencode(${hcl(document, 1)})`,
        '}',
      ].join('\n');
    }
    const shared = target.attachTo !== undefined;
    const attach = attachments(target).map((principal) =>
      [
        `resource "aws_iam_${principal.kind}_policy_attachment" "${shared ? `${name}_${snake(principal.name)}` : name}" {`,
        `  ${principal.kind}       = ${hclQuoted(principal.name)}`,
        `  policy_arn = aws_iam_policy.${name}.arn`,
        '}',
      ].join('\n'),
    );
    return [
      `resource "aws_iam_policy" "${name}" {`,
      `  name   = ${hclQuoted(policyName(target, index, documents.length))}`,
      `  policy = jsonencode(${hcl(document, 1)})`,
      '}',
      ...attach.flatMap((block) => ['', block]),
    ].join('\n');
  });
  const preamble = terraformPreamble(referencesIn(documents), target);
  return `${[...preamble, ...blocks].join('\n\n')}\n`;
}

/** A string as HCL quotes it: JSON's escapes, but `\b` and `\f` (which HCL refuses) as `\uNNNN`. */
function hclQuoted(value: unknown): string {
  return JSON.stringify(value).replace(/\\([\s\S])/g, (sequence, c: string) =>
    c === 'b' ? '\\u0008' : c === 'f' ? '\\u000c' : sequence,
  );
}

/** A Terraform block name: `snake_case`, and never starting with a digit, which Terraform refuses. */
function terraformName(text: string): string {
  const name = snake(text);
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

function hcl(value: unknown, depth: number): string {
  const pad = '  '.repeat(depth + 1);
  const close = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => `${pad}${hcl(item, depth + 1)},`).join('\n')}\n${close}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([key, item]) => `${pad}${hclQuoted(key)} = ${hcl(item, depth + 1)}`).join('\n')}\n${close}}`;
  }
  // HCL string templates treat "${" and "%{" as interpolation; IAM policy variables must stay literal, and only
  // iamgen's own references become interpolations.
  let text = hclQuoted(value).replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');
  for (const name of Object.keys(parameterReferences) as ReferenceName[]) {
    text = text.replaceAll(`$${parameterReferences[name]}`, `\${${terraformReferences[name]}}`);
  }
  return text;
}

const referencePattern = new RegExp(
  Object.values(parameterReferences)
    .map((reference) => reference.replace(/[$.{}]/g, '\\$&'))
    .join('|'),
);

/**
 * CloudFormation: strings holding references become `Fn::Sub`, where any other `${` (an IAM policy variable)
 * is written `${!` so it stays literal.
 */
function withSub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSub);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withSub(item)]));
  }
  if (typeof value !== 'string' || !referencePattern.test(value)) return value;
  const escaped = value.replace(/\$\{(?!AWS::(?:AccountId|Region|Partition)\}|Stage\})/g, '$${!');
  return { 'Fn::Sub': escaped };
}

/** What the policy is, within CloudFormation's 1,000 characters for a description. */
function description(target: RenderTarget): string {
  if (target.attachTo === undefined) {
    return `Least-privilege policy generated by iamgen from CloudTrail activity of ${target.principalName}`;
  }
  const names = target.attachTo.map((p) => p.name).join(', ');
  const text = `Statements shared by ${names}: generated by iamgen from their CloudTrail activity`;
  return text.length <= 1000 ? text : `Statements shared by ${target.attachTo.length} principals: generated by iamgen`;
}

function attachmentProperties(target: RenderTarget): Record<string, string[]> {
  const roles = attachments(target).filter((p) => p.kind === 'role');
  const users = attachments(target).filter((p) => p.kind === 'user');
  return {
    ...(roles.length > 0 ? { Roles: roles.map((p) => p.name) } : {}),
    ...(users.length > 0 ? { Users: users.map((p) => p.name) } : {}),
  };
}

/**
 * CloudFormation template (as data, for the CLI to write as YAML or JSON) with one managed policy per document, or
 * one inline policy of the principal.
 */
export function cloudFormationTemplate(
  documents: readonly PolicyDocument[],
  target: RenderTarget,
): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  documents.forEach((document, index) => {
    if (isInline(target)) {
      // AWS::IAM::Policy is the inline policy of the roles or users it names (one here).
      resources[logicalName(target, index, documents.length)] = {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: policyName(target, index, documents.length),
          ...attachmentProperties(target),
          PolicyDocument: withSub(document),
        },
      };
      return;
    }
    resources[logicalName(target, index, documents.length)] = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        ManagedPolicyName: policyName(target, index, documents.length),
        Description: description(target),
        ...attachmentProperties(target),
        PolicyDocument: withSub(document),
      },
    };
  });
  const template: Record<string, unknown> = { AWSTemplateFormatVersion: '2010-09-09' };
  if (referencesIn(documents).includes('stage')) {
    template.Parameters = {
      Stage: { Type: 'String', AllowedValues: [...(target.stages ?? [])], Description: 'Stage the policy is for' },
    };
  }
  template.Resources = resources;
  return template;
}
