import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import hcl2json from '@cdktf/hcl2json';
import type { PolicyDocument } from '@iamgen/core';
import { cloudFormationTemplate, renderTerraform } from '@iamgen/core';
import cfnLint from 'cfn-lint/lib/api.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { runCliCaptured } from '../src/run-captured.js';
import { trailEvent } from './trail-fixtures.js';

// Each output format must load in the tool that consumes it: Terraform through a real HCL2 parser,
// CloudFormation through a template linter that checks resource types, properties and Fn::Sub references.

let dir: string;

const dev = '111111111111';
const prod = '222222222222';

/** The same workload in two accounts and regions, its names differing only by the stage. */
function workload(account: string, region: string, stage: string): Record<string, unknown>[] {
  const common = { role: 'orders-api', account, region };
  return [
    trailEvent({ ...common, source: 'dynamodb', name: 'GetItem', params: { tableName: `orders-${stage}` } }),
    trailEvent({
      ...common,
      source: 'sqs',
      name: 'SendMessage',
      params: { queueUrl: `https://sqs.${region}.amazonaws.com/${account}/order-events-${stage}` },
    }),
    trailEvent({
      ...common,
      source: 's3',
      name: 'GetObject',
      params: { bucketName: `invoices-${account}`, key: 'reports/a.pdf' },
    }),
    trailEvent({ ...common, source: 'sqs', name: 'ListQueues' }),
  ];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-formats-'));
  await writeFile(join(dir, 'dev.json'), JSON.stringify({ Records: workload(dev, 'us-east-1', 'dev') }));
  await writeFile(join(dir, 'prod.json'), JSON.stringify({ Records: workload(prod, 'eu-west-1', 'prod') }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliCaptured(['from-trail', '--role', 'orders-api', '--events', dir, ...extra], dir);
}

interface HclNode {
  readonly type: string;
  readonly children: readonly HclNode[];
  readonly meta?: { readonly value?: string; readonly fullAccessor?: string; readonly name?: string };
}

/**
 * Evaluates the `jsonencode(...)` expression of an `aws_iam_policy` from the parser's syntax tree. References
 * take the given values; literal text is unescaped as Terraform does (`$${` is a literal `${`).
 */
function evaluateHcl(node: HclNode, references: Readonly<Record<string, string>>): unknown {
  switch (node.type) {
    case 'function':
      return evaluateHcl(node.children[0] as HclNode, references);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (let i = 0; i + 1 < node.children.length; i += 2) {
        const key = evaluateHcl(node.children[i] as HclNode, references);
        out[String(key)] = evaluateHcl(node.children[i + 1] as HclNode, references);
      }
      return out;
    }
    case '':
      return evaluateHcl(node.children[0] as HclNode, references);
    case 'tuple':
      return node.children.map((child) => evaluateHcl(child, references));
    case 'template':
      return node.children.map((child) => String(evaluateHcl(child, references))).join('');
    case 'literalValue':
      // The tree holds the literal as written: decode HCL's escapes (JSON's, plus `$${` and `%%{`).
      return (JSON.parse(`"${node.meta?.value ?? ''}"`) as string).replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
    case 'scopeTraversal': {
      const accessor = node.meta?.fullAccessor ?? '';
      const value = references[accessor];
      if (value === undefined) throw new Error(`unexpected reference ${accessor}`);
      return value;
    }
    default:
      throw new Error(`unexpected HCL node ${node.type}`);
  }
}

async function terraformPolicies(text: string, references: Readonly<Record<string, string>> = {}): Promise<unknown[]> {
  const parsed = (await hcl2json.parse('policy.tf', text)) as {
    resource: { aws_iam_policy: Record<string, { policy: string }[]> };
  };
  const policies: unknown[] = [];
  for (const [block] of Object.values(parsed.resource.aws_iam_policy)) {
    const expression = block?.policy ?? '';
    // The converter hands the attribute back as "${expression}"; its tree is read from the bare expression.
    const ast = (await hcl2json.getExpressionAst('policy.tf', expression.slice(2, -1))) as HclNode;
    policies.push(evaluateHcl(ast, references));
  }
  return policies;
}

function lintTemplate(text: string, parameters: Readonly<Record<string, string>> = {}) {
  const result = cfnLint.validateJsonObject(parseYaml(text), { parameters });
  return [...result.errors.crit, ...result.errors.warn].map((e) => `${e.resource}: ${e.message}`);
}

/** CloudFormation's Fn::Sub, for the pseudo parameters and Stage; `${!x}` is a literal `${x}`. */
function substitute(value: unknown, values: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(value)) return value.map((item) => substitute(item, values));
  if (typeof value !== 'object' || value === null) return value;
  const sub = (value as Record<string, unknown>)['Fn::Sub'];
  if (typeof sub === 'string') {
    return sub.replace(/\$\{(!?)([^}]+)\}/g, (_, bang: string, name: string) =>
      bang === '!' ? `\${${name}}` : (values[name] ?? `<unresolved ${name}>`),
    );
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values)]));
}

describe('output formats load in their tools', () => {
  it('Terraform parses with an HCL2 parser into the same policy', async () => {
    const json = JSON.parse((await run()).stdout);
    const tf = await run('--format', 'terraform');
    expect(tf.code).toBe(0);
    expect(await terraformPolicies(tf.stdout)).toEqual([json]);
  });

  it('CloudFormation passes the template linter and holds the same policy', async () => {
    const json = JSON.parse((await run()).stdout);
    const cfn = await run('--format', 'cloudformation');
    expect(lintTemplate(cfn.stdout)).toEqual([]);
    expect(parseYaml(cfn.stdout).Resources.OrdersApiPolicy.Properties.PolicyDocument).toEqual(json);
  });

  it.each([
    ['role-inline', 'role', 'Roles', 'aws_iam_role_policy'],
    ['user-inline', 'user', 'Users', 'aws_iam_user_policy'],
  ])('--policy-kind %s writes an inline %s policy in both formats', async (kind, principal, attached, tfType) => {
    const json = JSON.parse((await run('--policy-kind', kind)).stdout);
    const document = { ...json, Statement: json.Statement };
    const target = { principalName: 'orders-api', principalKind: principal as 'role' | 'user', inline: true };
    const template = cloudFormationTemplate([document], target);
    const text = toYaml(template, { lineWidth: 0 });
    expect(lintTemplate(text)).toEqual([]);
    expect(parseYaml(text).Resources.OrdersApiPolicy).toMatchObject({
      Type: 'AWS::IAM::Policy',
      Properties: { PolicyName: 'orders-api-iamgen', [attached]: ['orders-api'], PolicyDocument: json },
    });
    const parsed = (await hcl2json.parse('policy.tf', renderTerraform([document], target))) as {
      resource: Record<string, Record<string, Record<string, unknown>[]>>;
    };
    expect(Object.keys(parsed.resource)).toEqual([tfType]);
    expect(parsed.resource[tfType]?.orders_api_policy?.[0]).toMatchObject({ [principal]: 'orders-api' });
  });

  it('the multi-environment sample template passes the linter', async () => {
    const sample = fileURLToPath(
      new URL('../../../samples/orders-multi-env/expected-policy.cfn.yaml', import.meta.url),
    );
    expect(lintTemplate(await readFile(sample, 'utf8'), { Stage: 'prod' })).toEqual([]);
  });

  it('the linter does catch a broken template (so its silence means something)', () => {
    const broken = 'Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Rolez: [x]\n';
    expect(lintTemplate(broken).join('\n')).toMatch(/Rolez is not a valid property|PolicyDocument missing/);
  });
});

describe('Terraform names', () => {
  it('never start with a digit, which Terraform refuses, and the attachment refers to the policy', async () => {
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'S', Effect: 'Allow', Action: ['sqs:ListQueues'], Resource: ['*'] }],
    };
    const text = renderTerraform([document], { principalName: '9lives', principalKind: 'role' });
    expect(text).toContain('resource "aws_iam_policy" "_9lives_policy" {');
    expect(text).toContain('policy_arn = aws_iam_policy._9lives_policy.arn');
    const [policy] = await terraformPolicies(text);
    expect(policy).toEqual(document);
  });
});

describe('IAM policy variables next to iamgen references', () => {
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'S3ReadHome',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: ['arn:${AWS::Partition}:s3:::home-${Stage}/${aws:username}/*', 'arn:aws:s3:::b/%{x}/${aws:userid}'],
      },
    ],
  };
  const target = { principalName: 'app', principalKind: 'role' as const, stages: ['dev', 'prod'] };

  it('stay literal in Terraform while the references interpolate', async () => {
    const [policy] = await terraformPolicies(renderTerraform([document], target), {
      'data.aws_partition.current.partition': 'aws-cn',
      'var.stage': 'prod',
    });
    expect(policy).toEqual({
      ...document,
      Statement: [
        {
          ...document.Statement[0],
          Resource: ['arn:aws-cn:s3:::home-prod/${aws:username}/*', 'arn:aws:s3:::b/%{x}/${aws:userid}'],
        },
      ],
    });
  });

  it('stay literal in CloudFormation Fn::Sub as ${!…}', () => {
    const template = cloudFormationTemplate([document], target);
    const text = JSON.stringify(template);
    expect(lintTemplate(text, { Stage: 'dev' })).toEqual([]);
    const resources = (template.Resources as Record<string, { Properties: { PolicyDocument: PolicyDocument } }>)
      .AppPolicy?.Properties.PolicyDocument.Statement[0]?.Resource;
    expect(resources).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::home-${Stage}/${!aws:username}/*' },
      'arn:aws:s3:::b/%{x}/${aws:userid}',
    ]);
  });
});

describe('any resource text survives both formats (property)', () => {
  // IAM reads any `${` as a policy variable, so the only one a policy can hold is a variable.
  const text = fc.string({
    unit: fc.constantFrom(
      'a',
      '-',
      '/',
      '{',
      '}',
      '%',
      '"',
      '\\',
      '*',
      ':',
      'é',
      '\n',
      '\b',
      '\f',
      '\u0001',
      '${aws:username}',
    ),
  });
  const values = { partition: 'aws-cn', stage: 'prod' };
  const instantiate = (resource: string) =>
    resource.replaceAll('${AWS::Partition}', values.partition).replaceAll('${Stage}', values.stage);
  const documentOf = (names: string[]): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'S3ReadX',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: names.map((name, i) => (i % 2 === 0 ? `arn:\${AWS::Partition}:s3:::b-\${Stage}/${name}` : name)),
      },
    ],
  });
  const expected = (names: string[]) => {
    const document = documentOf(names);
    return {
      ...document,
      Statement: document.Statement.map((st) => ({ ...st, Resource: (st.Resource as string[]).map(instantiate) })),
    };
  };
  const target = { principalName: 'app', principalKind: 'role' as const, stages: ['dev', 'prod'] };

  it('Terraform: the HCL2 parser reads back the policy with references resolved and everything else literal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 4 }), async (names) => {
        const [policy] = await terraformPolicies(renderTerraform([documentOf(names)], target), {
          'data.aws_partition.current.partition': values.partition,
          'var.stage': values.stage,
        });
        expect(policy).toEqual(expected(names));
      }),
      { numRuns: 25 },
    );
  });

  it('CloudFormation: YAML and Fn::Sub give back the policy with references resolved and everything else literal', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), (names) => {
        const template = parseYaml(toYaml(cloudFormationTemplate([documentOf(names)], target), { lineWidth: 0 }));
        const document = template.Resources.AppPolicy.Properties.PolicyDocument;
        expect(substitute(document, { 'AWS::Partition': values.partition, Stage: values.stage })).toEqual(
          expected(names),
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe('--parameterize and --stage-token', () => {
  const flags = ['--parameterize', 'account,region,partition', '--stage-token', 'dev,staging,prod'];

  it('merges two accounts into one CloudFormation policy with Fn::Sub, valid and covering each environment', async () => {
    const cfn = await run(...flags, '--format', 'cloudformation', '--report', 'report.json');
    expect(cfn.code).toBe(0);
    expect(lintTemplate(cfn.stdout, { Stage: 'dev' })).toEqual([]);
    const template = parseYaml(cfn.stdout);
    expect(template.Parameters.Stage.AllowedValues).toEqual(['dev', 'prod', 'staging']);
    const document = template.Resources.OrdersApiPolicy.Properties.PolicyDocument;
    const resources = document.Statement.flatMap((s: { Resource: unknown[] }) => s.Resource);
    expect(resources).toContainEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders-${Stage}',
    });
    expect(resources).toContainEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:s3:::invoices-${AWS::AccountId}/reports/a.pdf',
    });
    // One statement per service and level, not one per account.
    expect(document.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'DynamodbReadOrders',
      'S3ReadInvoices',
      'SqsReadAll',
      'SqsWriteOrderEvents',
    ]);
    // Deployed in prod, the policy names prod's resources exactly.
    const inProd = substitute(document, {
      'AWS::Partition': 'aws',
      'AWS::Region': 'eu-west-1',
      'AWS::AccountId': prod,
      Stage: 'prod',
    }) as { Statement: { Resource: string[] }[] };
    expect(inProd.Statement.flatMap((s) => s.Resource)).toContain(`arn:aws:s3:::invoices-${prod}/reports/a.pdf`);
    expect(inProd.Statement.flatMap((s) => s.Resource)).toContain(`arn:aws:sqs:eu-west-1:${prod}:order-events-prod`);
  });

  it('writes Terraform data sources and var.stage that an HCL2 parser reads back', async () => {
    const tf = await run(...flags, '--format', 'terraform');
    expect(tf.code).toBe(0);
    expect(tf.stdout).toContain('data "aws_caller_identity" "current" {}');
    expect(tf.stdout).toContain('data "aws_partition" "current" {}');
    expect(tf.stdout).toContain('variable "stage" {');
    const [policy] = (await terraformPolicies(tf.stdout, {
      'data.aws_caller_identity.current.account_id': dev,
      'data.aws_region.current.name': 'us-east-1',
      'data.aws_partition.current.partition': 'aws',
      'var.stage': 'dev',
    })) as { Statement: { Resource: string[] }[] }[];
    const resources = policy?.Statement.flatMap((s) => s.Resource);
    expect(resources).toContain(`arn:aws:dynamodb:us-east-1:${dev}:table/orders-dev`);
    expect(resources).toContain(`arn:aws:s3:::invoices-${dev}/reports/a.pdf`);
  });

  it('keeps literals in JSON and names the variables in the report', async () => {
    const json = await run(...flags, '--report', 'report.json');
    expect(json.code).toBe(0);
    expect(json.stdout).toContain(`arn:aws:dynamodb:eu-west-1:${prod}:table/orders-prod`);
    expect(json.stdout).not.toContain('${AWS::');
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    expect(report.parameters).toEqual({
      inPolicy: false,
      values: {
        account: [dev, prod],
        region: ['eu-west-1', 'us-east-1'],
        partition: ['aws'],
        stage: ['dev', 'prod', 'staging'],
      },
      stageOfAccount: { [dev]: 'dev', [prod]: 'prod' },
      notes: [],
    });
  });

  it('refuses an unknown parameter name as a usage error', async () => {
    const result = await run('--parameterize', 'account,bucket');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--parameterize takes account, region, partition; got bucket');
  });
});
