import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { runCliCaptured } from '../src/run-captured.js';
import type { Moto } from './moto.js';
import { motoAvailable, startMoto } from './moto.js';
import { trailEvent } from './trail-fixtures.js';

let dir: string;
const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders';
const proposed = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [table] }],
};
const broad = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'dynamodb:*', Resource: table },
    { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
    { Effect: 'Deny', Action: 's3:Delete*', Resource: '*' },
  ],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-diff-'));
  await writeFile(join(dir, 'proposed.json'), JSON.stringify(proposed));
  await writeFile(join(dir, 'current.json'), JSON.stringify(broad));
  await writeFile(join(dir, 'current.yaml'), toYaml([proposed]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('iamgen diff on files', () => {
  it('exits 3 and quantifies the reduction from a policy with *, NotAction and Deny', async () => {
    const result = await runCliCaptured(
      ['diff', '--current', 'current.json', '--proposed', 'proposed.json', '--format', 'json'],
      dir,
    );
    expect(result.code).toBe(3);
    const diff = JSON.parse(result.stdout);
    expect(diff.changed).toBe(true);
    expect(diff.grants.kept).toBe(1);
    expect(diff.grants.added).toBe(0);
    expect(diff.reductionPercent).toBeGreaterThan(99);
    expect(diff.removed.some((g: { action: string }) => g.action.startsWith('s3:Delete'))).toBe(false);
  });

  it('exits 0 when nothing would change (YAML current policy)', async () => {
    const result = await runCliCaptured(['diff', '--current', 'current.yaml', '--proposed', 'proposed.json'], dir);
    expect(result).toMatchObject({
      code: 0,
      stdout:
        'privilege: 0 of 1 current grants removed or narrowed (0%): 0 removed, 0 narrowed to the resources used, 1 kept, 0 added\n',
    });
  });

  it('reads a get-account-authorization-details dump by role name', async () => {
    const dump = {
      RoleDetailList: [
        {
          RoleName: 'orders-api-handler',
          Arn: 'arn:aws:iam::123456789012:role/service-role/orders-api-handler',
          RolePolicyList: [{ PolicyName: 'inline', PolicyDocument: encodeURIComponent(JSON.stringify(proposed)) }],
          AttachedManagedPolicies: [{ PolicyName: 'broad', PolicyArn: 'arn:aws:iam::123456789012:policy/broad' }],
        },
      ],
      UserDetailList: [],
      Policies: [
        {
          Arn: 'arn:aws:iam::123456789012:policy/broad',
          DefaultVersionId: 'v2',
          PolicyVersionList: [
            { VersionId: 'v1', IsDefaultVersion: false, Document: { Version: '2012-10-17', Statement: [] } },
            { VersionId: 'v2', IsDefaultVersion: true, Document: broad },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'dump.json'), JSON.stringify(dump));
    const result = await runCliCaptured(
      [
        'diff',
        '--current',
        'dump.json',
        '--role',
        'orders-api-handler',
        '--proposed',
        'proposed.json',
        '--format',
        'markdown',
      ],
      dir,
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^## Least-privilege proposal\n/);
    expect(result.stdout).toContain('| dynamodb |');
  });

  it.each([
    [['diff', '--current', 'nope.json', '--proposed', 'proposed.json'], /nope\.json: cannot read the policy file/],
    [['diff', '--current', 'dump.json', '--proposed', 'proposed.json'], /needs --role or --user/],
    [['diff', '--current', 'current.json'], /--proposed/],
    // IAM refuses these; read as they stand, one would be no statement and the other every action.
    [
      ['diff', '--current', 'garbage.json', '--proposed', 'proposed.json'],
      /^iamgen: garbage\.json: Statement 1 is not an object\n$/,
    ],
    [
      ['diff', '--current', 'no-action.json', '--proposed', 'proposed.json'],
      /^iamgen: no-action\.json: Statement 1 needs exactly one of Action or NotAction\n$/,
    ],
  ])('%j is a usage error', async (argv, message) => {
    await writeFile(join(dir, 'garbage.json'), JSON.stringify({ Statement: 'garbage' }));
    await writeFile(
      join(dir, 'no-action.json'),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] }),
    );
    const result = await runCliCaptured(argv, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('from-trail --diff-against writes the diff and keeps exit 0', async () => {
    const events = [
      trailEvent({ role: 'app', source: 'dynamodb', name: 'GetItem', params: { tableName: 'orders' } }),
      trailEvent({
        role: 'app',
        source: 'dynamodb',
        name: 'DeleteTable',
        params: { tableName: 'orders' },
        errorCode: 'AccessDeniedException',
      }),
    ];
    await writeFile(join(dir, 'events.json'), JSON.stringify({ Records: events }));
    const result = await runCliCaptured(
      [
        'from-trail',
        '--role',
        'app',
        '--events',
        'events.json',
        '--diff-against',
        'current.yaml',
        '--diff-out',
        'diff.md',
        '--diff-format',
        'markdown',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    const markdown = await readFile(join(dir, 'diff.md'), 'utf8');
    expect(markdown).toContain('0 of 1 current grants removed or narrowed');
    expect(markdown).toContain('### Denied by the current policy');
    expect(markdown).toContain('`dynamodb:DeleteTable` on `arn:aws:dynamodb:us-east-1:123456789012:table/orders`');
  });
});

describe.skipIf(!motoAvailable())('iamgen diff against live IAM (moto)', () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
    const iam = new IAMClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'orders-api-handler',
        Path: '/service-role/',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'orders-api-handler',
        PolicyName: 'inline',
        PolicyDocument: JSON.stringify(proposed),
      }),
    );
    const { Policy } = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'broad', PolicyDocument: JSON.stringify(broad) }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'orders-api-handler', PolicyArn: Policy?.Arn }));
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it('reads inline and attached managed policies and diffs them', async () => {
    const env = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const result = await runCliCaptured(
        [
          'diff',
          '--current',
          'iam:role/orders-api-handler',
          '--proposed',
          'proposed.json',
          '--endpoint-url',
          moto.endpoint,
          '--format',
          'json',
        ],
        dir,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(3);
      const diff = JSON.parse(result.stdout);
      expect(diff.grants.kept).toBe(1);
      expect(diff.reductionPercent).toBeGreaterThan(99);
    } finally {
      process.env = saved;
    }
  });

  it('fails with exit 1 and one line for a role IAM does not have', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    const result = await runCliCaptured(
      ['diff', '--current', 'iam:role/ghost', '--proposed', 'proposed.json', '--endpoint-url', moto.endpoint],
      dir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^iamgen: cannot read the policies of role ghost from IAM \(NoSuchEntity/);
  });
});
