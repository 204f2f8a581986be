import { sortedUnique } from './collections.js';
import type { CoverageResult } from './coverage.js';
import { evaluate } from './evaluate/evaluate.js';
import type { PolicyDocument } from './policy-document.js';
import type { Access } from './types.js';

export const parameterNames = ['account', 'region', 'partition'] as const;
export type ParameterName = (typeof parameterNames)[number];

/**
 * The references written into a parameterized policy, in CloudFormation's spelling; renderers translate them
 * (Terraform: data sources and `var.stage`). None contains a single colon, so none reads as an IAM policy
 * variable such as `${aws:username}`, which stays literal.
 */
export const parameterReferences = {
  account: '${AWS::AccountId}',
  region: '${AWS::Region}',
  partition: '${AWS::Partition}',
  stage: '${Stage}',
} as const;

export type ReferenceName = keyof typeof parameterReferences;

/** Which literal values become which reference; empty lists are left literal. */
export interface ParameterPlan {
  readonly values: Readonly<Record<ReferenceName, readonly string[]>>;
  /** The principals' accounts: only ARNs in them (or in no account) get the region as a reference. */
  readonly ownAccounts: readonly string[];
  /** Why an asked-for parameter was left literal, one line each. */
  readonly notes: readonly string[];
}

export interface PlanInput {
  readonly parameters: readonly ParameterName[];
  readonly stageTokens: readonly string[];
  /** The principals' own ARNs: only their accounts are parameterized, never another account's resources. */
  readonly principalArns: readonly string[];
  readonly resources: readonly string[];
}

interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly rest: string;
}

function splitArn(text: string): ArnParts | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  return { partition, service, region, account, rest: parts.slice(5).join(':') };
}

/**
 * Decides what to parameterize. The account is the principals' own (a cross-account table stays literal); the
 * region only when each of those accounts used one region, since `${AWS::Region}` pins the policy to the
 * region it is deployed in.
 */
export function planParameters(input: PlanInput): ParameterPlan {
  const asked = new Set(input.parameters);
  const notes: string[] = [];
  const principals = input.principalArns.map(splitArn).filter((p): p is ArnParts => p !== undefined);
  const accounts = sortedUnique(principals.map((p) => p.account).filter((a) => /^\d{12}$/.test(a)));
  const partitions = sortedUnique(principals.map((p) => p.partition).filter((p) => p !== ''));
  const regionsByAccount = new Map<string, Set<string>>();
  for (const resource of input.resources) {
    const arn = splitArn(resource);
    if (arn === undefined || !accounts.includes(arn.account) || arn.region === '' || /[*?]/.test(arn.region)) continue;
    let regions = regionsByAccount.get(arn.account);
    if (regions === undefined) {
      regions = new Set();
      regionsByAccount.set(arn.account, regions);
    }
    regions.add(arn.region);
  }
  let regions = sortedUnique([...regionsByAccount.values()].flatMap((set) => [...set]));
  const multiRegion = [...regionsByAccount].filter(([, set]) => set.size > 1);
  if (asked.has('region') && multiRegion.length > 0) {
    const [account, set] = multiRegion[0] ?? ['', new Set<string>()];
    notes.push(
      `region left literal: account ${account} used ${sortedUnique(set).join(', ')}, and \${AWS::Region} would allow only one`,
    );
    regions = [];
  }
  return {
    values: {
      account: asked.has('account') ? accounts : [],
      region: asked.has('region') ? regions : [],
      partition: asked.has('partition') ? partitions : [],
      stage: sortedUnique(input.stageTokens),
    },
    ownAccounts: accounts,
    notes,
  };
}

function bounded(values: readonly string[]): RegExp | undefined {
  if (values.length === 0) return undefined;
  const alternatives = [...values]
    .sort((a, b) => b.length - a.length)
    .map((v) => v.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
  return new RegExp(`(?<![A-Za-z0-9])(?:${alternatives.join('|')})(?![A-Za-z0-9])`, 'g');
}

/** A resource pattern with the plan's literals replaced by references, in ARN fields and inside names. */
export function parameterizeResource(resource: string, plan: ParameterPlan): string {
  const arn = splitArn(resource);
  if (arn === undefined) return resource;
  const { values } = plan;
  const partition = values.partition.includes(arn.partition) ? parameterReferences.partition : arn.partition;
  const own = arn.account === '' || plan.ownAccounts.includes(arn.account);
  const region = own && values.region.includes(arn.region) ? parameterReferences.region : arn.region;
  const account = values.account.includes(arn.account) ? parameterReferences.account : arn.account;
  let rest = arn.rest;
  // Names often carry the account, region or stage (`artifacts-123456789012`, `orders-dev`).
  const replacements: [ReferenceName, RegExp | undefined][] = [
    ['account', bounded(values.account)],
    ['region', bounded(values.region)],
    ['stage', bounded(values.stage)],
  ];
  for (const [name, pattern] of replacements) {
    if (pattern !== undefined) rest = rest.replace(pattern, parameterReferences[name]);
  }
  return ['arn', partition, arn.service, region, account, rest].join(':');
}

/** Condition values that name the region (`kms:ViaService` = `s3.us-east-1.amazonaws.com`). */
export function parameterizeConditionValue(value: string, plan: ParameterPlan): string {
  const pattern = bounded(plan.values.region);
  return pattern === undefined ? value : value.replace(pattern, parameterReferences.region);
}

/** Whether a plan replaces anything at all. */
export function plansAnything(plan: ParameterPlan): boolean {
  return Object.values(plan.values).some((values) => values.length > 0);
}

/**
 * Every combination of the plan's values, as request context that the evaluator substitutes for the references
 * (`${AWS::AccountId}` reads the `aws::accountid` key): one binding per environment the policy may be deployed in.
 */
export function environmentsOf(plan: ParameterPlan): Record<string, string>[] {
  let out: Record<string, string>[] = [{}];
  for (const name of Object.keys(parameterReferences) as ReferenceName[]) {
    const values = plan.values[name];
    if (values.length === 0) continue;
    const key = parameterReferences[name].slice(2, -1).toLowerCase();
    out = out.flatMap((binding) => values.map((value) => ({ ...binding, [key]: value })));
  }
  return out;
}

/**
 * The coverage proof for a parameterized policy: every observed access must be allowed once the references
 * take the values of some environment that was observed.
 */
export function proveParameterizedCoverage(
  documents: readonly PolicyDocument[],
  plan: ParameterPlan,
  accesses: readonly Access[],
): CoverageResult {
  const environments = environmentsOf(plan);
  const misses = accesses.filter(
    (access) =>
      !environments.some(
        (binding) =>
          evaluate(documents, {
            action: access.action,
            resource: access.resource,
            context: { ...binding, ...access.context },
          }).decision === 'allow',
      ),
  );
  return { checked: accesses.length, allowed: accesses.length - misses.length, misses };
}

/**
 * The size IAM will count for each document once deployed: the largest over the observed environments, since a
 * value can be longer than its reference (`production` for `${Stage}`).
 */
export function deployedSizes(documents: readonly PolicyDocument[], plan: ParameterPlan): number[] {
  const environments = environmentsOf(plan);
  return documents.map((document) => {
    const text = JSON.stringify(document);
    return Math.max(
      ...environments.map(
        (binding) =>
          text.replace(/\$\{(AWS::[A-Za-z]+|Stage)\}/g, (whole, name: string) => binding[name.toLowerCase()] ?? whole)
            .length,
      ),
    );
  });
}
