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
  /** The stage each own account's resources are named with, when one token clearly dominates. */
  readonly stageOfAccount: Readonly<Record<string, string>>;
  /**
   * The environments the policy is deployed in, one per own account (per stage when its stage is unknown): the
   * values each reference takes there, keyed as the evaluator reads them (`aws::accountid`, `stage`).
   */
  readonly environments: readonly Readonly<Record<string, string>>[];
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
  const stages = sortedUnique(input.stageTokens);
  const stageOfAccount = stagesOfAccounts(input.resources, accounts, stages);
  const values = {
    account: asked.has('account') ? accounts : [],
    region: asked.has('region') ? regions : [],
    partition: asked.has('partition') ? partitions : [],
    stage: stages,
  };
  const partitionOf = new Map(principals.map((p) => [p.account, p.partition]));
  const stageOnly = stages.map((stage) => ({ [referenceKey('stage')]: stage }));
  const environments =
    accounts.length === 0
      ? stageOnly
      : accounts.flatMap((account) => {
          // The account always names its environment (harmless where no `${AWS::AccountId}` is written).
          const base: Record<string, string> = { [referenceKey('account')]: account };
          const region = [...(regionsByAccount.get(account) ?? [])][0];
          if (values.region.length > 0 && region !== undefined) base[referenceKey('region')] = region;
          const partition = partitionOf.get(account);
          if (values.partition.length > 0 && partition !== undefined) base[referenceKey('partition')] = partition;
          const stage = stageOfAccount[account];
          if (stages.length === 0) return [base];
          return (stage === undefined ? stages : [stage]).map((value) => ({ ...base, [referenceKey('stage')]: value }));
        });
  return { values, ownAccounts: accounts, stageOfAccount, environments, notes };
}

/** The request-context key the evaluator reads for a reference: `${AWS::AccountId}` → `aws::accountid`. */
function referenceKey(name: ReferenceName): string {
  return parameterReferences[name].slice(2, -1).toLowerCase();
}

/** The own account an ARN belongs to: its account field, or an account id inside its name (`artifacts-1111…`). */
function accountOf(arn: ArnParts, ownAccounts: readonly string[]): string | undefined {
  if (ownAccounts.includes(arn.account)) return arn.account;
  return ownAccounts.find((account) => bounded([account])?.test(arn.rest) === true);
}

/**
 * Which stage token each account's resources carry. An account whose names carry one token more often than any
 * other is that stage; a tie leaves the account's stage unknown.
 */
function stagesOfAccounts(
  resources: readonly string[],
  accounts: readonly string[],
  stages: readonly string[],
): Record<string, string> {
  const pattern = bounded(stages);
  const counts = new Map<string, Map<string, number>>();
  if (pattern === undefined) return {};
  for (const resource of resources) {
    const arn = splitArn(resource);
    const account = arn === undefined ? undefined : accountOf(arn, accounts);
    if (arn === undefined || account === undefined) continue;
    for (const token of arn.rest.match(pattern) ?? []) {
      const perAccount = counts.get(account) ?? new Map<string, number>();
      perAccount.set(token, (perAccount.get(token) ?? 0) + 1);
      counts.set(account, perAccount);
    }
  }
  const out: Record<string, string> = {};
  for (const [account, perAccount] of counts) {
    const ranked = [...perAccount].sort((a, b) => b[1] - a[1]);
    const [first, second] = ranked;
    if (first !== undefined && (second === undefined || second[1] < first[1])) out[account] = first[0];
  }
  return out;
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
  // Names often carry the account, region or stage (`artifacts-123456789012`, `orders-dev`). Names of another
  // account's resources are that account's business: its `shared-us-east-1` is the same in every environment.
  // A stage token is the environment's only in resources of an account named with that stage: prod reading
  // `config-dev` reads dev's config in every environment.
  const owner = accountOf(arn, plan.ownAccounts);
  const foreign = owner === undefined && arn.account !== '';
  const ownerStage = owner === undefined ? undefined : plan.stageOfAccount[owner];
  const stages = foreign ? [] : owner === undefined ? values.stage : ownerStage === undefined ? [] : [ownerStage];
  const replacements: [ReferenceName, RegExp | undefined][] = [
    ['account', bounded(values.account)],
    ['region', bounded(foreign ? [] : values.region)],
    // An own account whose stage is unclear keeps its tokens; names in no account follow the naming convention.
    ['stage', bounded(stages)],
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

/** The environments the plan was made for, as request context the evaluator substitutes for the references. */
export function environmentsOf(plan: ParameterPlan): readonly Readonly<Record<string, string>>[] {
  return plan.environments.length > 0 ? plan.environments : [{}];
}

/**
 * The coverage proof for a parameterized policy: every observed access must be allowed once the references take
 * the values of its own account's environment (of any environment when its ARN names no own account, as S3's do).
 */
export function proveParameterizedCoverage(
  documents: readonly PolicyDocument[],
  plan: ParameterPlan,
  accesses: readonly Access[],
): CoverageResult {
  const environments = environmentsOf(plan);
  const accountKey = referenceKey('account');
  const misses = accesses.filter((access) => {
    const arn = splitArn(access.resource);
    const account = arn === undefined ? undefined : accountOf(arn, plan.ownAccounts);
    const own = environments.filter(
      (e) => account === undefined || e[accountKey] === undefined || e[accountKey] === account,
    );
    return !own.some(
      (binding) =>
        evaluate(documents, {
          action: access.action,
          resource: access.resource,
          context: { ...binding, ...access.context },
        }).decision === 'allow',
    );
  });
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
