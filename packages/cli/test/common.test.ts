import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import hcl2json from '@cdktf/hcl2json';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCliCaptured } from '../src/run-captured.js';
import { testAccount, trailEvent } from './trail-fixtures.js';

let dir: string;

const arn = (role: string) => `arn:aws:iam::${testAccount}:role/${role}`;

const shared = (role: string) => [
  trailEvent({ role, source: 'ssm', name: 'GetParameter', params: { name: '/orders/config' } }),
  trailEvent({ role, source: 'sqs', name: 'ListQueues' }),
];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-common-'));
  const records = [
    ...shared('orders-api'),
    trailEvent({ role: 'orders-api', source: 'dynamodb', name: 'PutItem', params: { tableName: 'orders' } }),
    ...shared('orders-worker'),
    trailEvent({ role: 'orders-worker', source: 'dynamodb', name: 'GetItem', params: { tableName: 'orders' } }),
    ...shared('orders-report'),
    trailEvent({ role: 'billing', source: 'dynamodb', name: 'GetItem', params: { tableName: 'invoices' } }),
  ];
  await writeFile(join(dir, 'a.json'), JSON.stringify({ Records: records }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("from-trail --role 'orders-*' --common", () => {
  it('writes one shared policy and a remainder per role, proved to cover each role', async () => {
    const result = await runCliCaptured(
      ['from-trail', '--role', 'orders-*', '--common', '--events', dir, '--out-dir', 'out'],
      dir,
    );
    expect(result.stderr).toContain('3 of 3 policies written to out\n');
    expect(result.code).toBe(0);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'orders-api.json',
      'orders-common.json',
      'orders-worker.json',
      'report.json',
    ]);
    const common = JSON.parse(await readFile(join(dir, 'out', 'orders-common.json'), 'utf8'));
    expect(common.Statement.map((s: { Action: string[] }) => s.Action)).toEqual([
      ['sqs:ListQueues'],
      ['ssm:GetParameter'],
    ]);
    const api = JSON.parse(await readFile(join(dir, 'out', 'orders-api.json'), 'utf8'));
    expect(api.Statement.map((s: { Action: string[] }) => s.Action)).toEqual([['dynamodb:PutItem']]);
    const index = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8'));
    expect(index.common).toEqual({
      file: 'orders-common.json',
      name: 'orders-common',
      statements: 2,
      documents: 1,
      principals: ['orders-api', 'orders-report', 'orders-worker'].map((r) => `role ${arn(r)}`),
    });
    const report = index.principals.find((p: { principal: string }) => p.principal === `role ${arn('orders-report')}`);
    // Everything orders-report did is in the shared policy: it gets no file of its own.
    expect(report).toMatchObject({ status: 'ok', remainderStatements: 0 });
    expect(report.file).toBeUndefined();
  });

  it('attaches the shared CloudFormation policy to every role', async () => {
    const result = await runCliCaptured(
      [
        'from-trail',
        '--role',
        'orders-*',
        '--common',
        '--events',
        dir,
        '--out-dir',
        'out',
        '--format',
        'cloudformation',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    const template = parseYaml(await readFile(join(dir, 'out', 'orders-common.cfn.yaml'), 'utf8'));
    expect(template.Resources.OrdersCommonPolicy.Properties.Roles).toEqual([
      'orders-api',
      'orders-report',
      'orders-worker',
    ]);
  });

  it('attaches the shared Terraform policy to every role, and the file parses as HCL2', async () => {
    const result = await runCliCaptured(
      ['from-trail', '--role', 'orders-*', '--common', '--events', dir, '--out-dir', 'out', '--format', 'terraform'],
      dir,
    );
    expect(result.code).toBe(0);
    const parsed = (await hcl2json.parse(
      'common.tf',
      await readFile(join(dir, 'out', 'orders-common.tf'), 'utf8'),
    )) as {
      resource: Record<string, Record<string, { role?: string }[]>>;
    };
    const attachments = parsed.resource.aws_iam_role_policy_attachment ?? {};
    expect(Object.values(attachments).map(([block]) => block?.role)).toEqual([
      'orders-api',
      'orders-report',
      'orders-worker',
    ]);
  });

  it('writes one Markdown explanation with a section per principal', async () => {
    const result = await runCliCaptured(
      ['from-trail', '--role', 'orders-*', '--events', dir, '--out-dir', 'out', '--explain', 'why.md'],
      dir,
    );
    expect(result.code).toBe(0);
    const markdown = await readFile(join(dir, 'why.md'), 'utf8');
    expect(markdown.match(/^# Evidence for role .*$/gm)).toEqual(
      ['orders-api', 'orders-report', 'orders-worker'].map((r) => `# Evidence for role ${arn(r)}`),
    );
  });

  it('is a usage error for one principal', async () => {
    const result = await runCliCaptured(['from-trail', '--role', 'orders-api', '--common', '--events', dir], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--common needs several principals');
  });
});
