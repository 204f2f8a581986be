import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { motoAvailable, startMoto } from './moto.js';
import { testAccount, trailEvent } from './trail-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-churn-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fn = `arn:aws:lambda:us-east-1:${testAccount}:function:`;

async function write(records: Record<string, unknown>[]): Promise<string> {
  const path = join(dir, 'events.json');
  await writeFile(path, JSON.stringify({ Records: records }));
  return path;
}

const resourcesOf = (stdout: string) =>
  (JSON.parse(stdout) as { Statement: { Resource: string[] }[] }).Statement.flatMap((s) => s.Resource);

describe('from-trail --generalize', () => {
  const deploys = ['pr-101', 'pr-102', 'pr-103'].flatMap((name, i) => [
    trailEvent({
      role: 'deployer',
      source: 'lambda',
      name: 'CreateFunction20150331',
      time: `2024-05-0${i + 1}T10:00:00Z`,
      params: { functionName: `preview-${name}` },
    }),
    trailEvent({
      role: 'deployer',
      source: 'lambda',
      name: 'DeleteFunction20150331',
      time: `2024-05-0${i + 1}T18:00:00Z`,
      params: { functionName: `preview-${name}` },
    }),
  ]);

  it('safe (the default) grants the created functions by their shared prefix, and says so on stderr and in the report', async () => {
    const events = await write(deploys);
    const report = join(dir, 'report.json');
    const result = await runCliCaptured(
      ['from-trail', '--role', 'deployer', '--events', events, '--report', report],
      dir,
    );
    expect(result.code).toBe(0);
    expect(resourcesOf(result.stdout)).toEqual([`${fn}preview-pr-*`]);
    expect(result.stderr).toContain(
      `warning: generalized ${fn}preview-pr-* (lifecycle-prefix): covers 3 observed, lambda function created by lambda:CreateFunction in the window\n`,
    );
    const written = JSON.parse(await readFile(report, 'utf8'));
    expect(written.generalizations).toEqual([
      {
        rule: 'lifecycle-prefix',
        into: `${fn}preview-pr-*`,
        replaced: 3,
        covers: [`${fn}preview-pr-101`, `${fn}preview-pr-102`, `${fn}preview-pr-103`],
        because: 'lambda function created by lambda:CreateFunction in the window',
      },
    ]);
  });

  it('exact keeps every observed name, broad takes the type wildcard of the account and region', async () => {
    const events = await write(deploys);
    const exact = await runCliCaptured(
      ['from-trail', '--role', 'deployer', '--events', events, '--generalize', 'exact'],
      dir,
    );
    expect(resourcesOf(exact.stdout)).toEqual([`${fn}preview-pr-101`, `${fn}preview-pr-102`, `${fn}preview-pr-103`]);
    expect(exact.stderr).not.toContain('generalized');
    const broad = await runCliCaptured(
      ['from-trail', '--role', 'deployer', '--events', events, '--generalize', 'broad'],
      dir,
    );
    expect(resourcesOf(broad.stdout)).toEqual([`${fn}*`]);
    const bad = await runCliCaptured(
      ['from-trail', '--role', 'deployer', '--events', events, '--generalize', 'wide'],
      dir,
    );
    expect(bad.code).toBe(2);
  });
});

describe('from-trail: what CloudTrail does not show', () => {
  const launch = trailEvent({
    role: 'launcher',
    source: 'ec2',
    name: 'RunInstances',
    params: { instanceType: 't3.micro', iamInstanceProfile: { name: 'web' } },
  });

  it('resolves an instance profile to its role with --iam-snapshot', async () => {
    const events = await write([launch]);
    const snapshot = join(dir, 'auth.json');
    await writeFile(
      snapshot,
      JSON.stringify({
        RoleDetailList: [
          {
            RoleName: 'web-ec2',
            Arn: `arn:aws:iam::${testAccount}:role/web-ec2`,
            InstanceProfileList: [
              { InstanceProfileName: 'web', Arn: `arn:aws:iam::${testAccount}:instance-profile/web` },
            ],
          },
        ],
        UserDetailList: [],
        Policies: [],
      }),
    );
    const result = await runCliCaptured(
      ['from-trail', '--role', 'launcher', '--events', events, '--iam-snapshot', snapshot],
      dir,
    );
    expect(result.code).toBe(0);
    const passRole = JSON.parse(result.stdout).Statement.find((s: { Action: string[] }) =>
      s.Action.includes('iam:PassRole'),
    );
    expect(passRole.Resource).toEqual([`arn:aws:iam::${testAccount}:role/web-ec2`]);
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com'] } });
    expect(result.stderr).not.toContain('must narrow');
  });

  it('without IAM data grants PassRole on the account role/* with iam:PassedToService, never *, and asks a person to narrow it', async () => {
    const events = await write([launch]);
    const report = join(dir, 'report.json');
    const result = await runCliCaptured(
      ['from-trail', '--role', 'launcher', '--events', events, '--report', report],
      dir,
    );
    expect(result.code).toBe(0);
    const passRole = JSON.parse(result.stdout).Statement.find((s: { Action: string[] }) =>
      s.Action.includes('iam:PassRole'),
    );
    expect(passRole.Resource).toEqual([`arn:aws:iam::${testAccount}:role/*`]);
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com'] } });
    expect(result.stderr).toContain(
      `warning: iam:PassRole granted on arn:aws:iam::${testAccount}:role/* (arn:aws:iam::${testAccount}:instance-profile/web): a person must narrow it\n`,
    );
    expect(JSON.parse(await readFile(report, 'utf8')).grantsToNarrow).toHaveLength(1);
  });

  it('adds logs:PutLogEvents for a created log stream, and names services whose data events are missing', async () => {
    const events = await write([
      trailEvent({
        role: 'worker',
        source: 'logs',
        name: 'CreateLogStream',
        params: { logGroupName: '/aws/lambda/worker', logStreamName: '2024/05/01/[$LATEST]0a1b2c' },
      }),
      trailEvent({ role: 'worker', source: 'dynamodb', name: 'DescribeTable', params: { tableName: 'jobs' } }),
    ]);
    const report = join(dir, 'report.json');
    const result = await runCliCaptured(
      ['from-trail', '--role', 'worker', '--events', events, '--report', report],
      dir,
    );
    expect(result.code).toBe(0);
    const logs = JSON.parse(result.stdout).Statement.find((s: { Action: string[] }) =>
      s.Action.includes('logs:PutLogEvents'),
    );
    expect(logs.Resource).toEqual([`arn:aws:logs:us-east-1:${testAccount}:log-group:/aws/lambda/worker:*`]);
    expect(result.stderr).toContain(
      'warning: added logs:PutLogEvents on 1 resource: CloudTrail does not log it, and logs:CreateLogStream implies it\n',
    );
    expect(result.stderr).toContain('warning: no data events for dynamodb: the policy may lack item reads and writes');
    const written = JSON.parse(await readFile(report, 'utf8'));
    expect(written.dataEventGaps.map((g: { service: string }) => g.service)).toEqual(['dynamodb']);
    expect(written.unloggedCompanions[0].documentation).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });
});

describe('from-trail --diff-against with data events for some services only', () => {
  it('keeps the data-plane grants of a service without data events as unknown, never as unused', async () => {
    const events = await write([
      trailEvent({ role: 'app', source: 'dynamodb', name: 'DescribeTable', params: { tableName: 'orders' } }),
      {
        ...trailEvent({ role: 'app', source: 's3', name: 'PutObject', params: { bucketName: 'out', key: 'a.csv' } }),
        eventCategory: 'Data',
        managementEvent: false,
      },
    ]);
    const table = `arn:aws:dynamodb:us-east-1:${testAccount}:table/orders`;
    await writeFile(
      join(dir, 'current.json'),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['dynamodb:DescribeTable', 'dynamodb:GetItem'], Resource: table },
          { Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject'], Resource: 'arn:aws:s3:::out/*' },
        ],
      }),
    );
    const result = await runCliCaptured(
      [
        'from-trail',
        '--role',
        'app',
        '--events',
        events,
        '--diff-against',
        'current.json',
        '--diff-format',
        'json',
        '--diff-out',
        'diff.json',
      ],
      dir,
    );
    expect(result.code).toBe(0);
    const diff = JSON.parse(await readFile(join(dir, 'diff.json'), 'utf8')) as {
      removed: { action: string; reason: string }[];
    };
    expect(Object.fromEntries(diff.removed.map((r) => [r.action, r.reason]))).toEqual({
      'dynamodb:GetItem': 'unknown-data-plane',
      's3:GetObject': 'not-seen-in-window',
    });
  });
});

describe.skipIf(!motoAvailable())('from-trail --iam-snapshot iam (moto)', () => {
  it('resolves the instance profile through live IAM', async () => {
    const moto = await startMoto();
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    try {
      const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint });
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'batch-ec2',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          }),
        }),
      );
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'batch' }));
      await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'batch', RoleName: 'batch-ec2' }));
      const events = await write([
        trailEvent({
          role: 'launcher',
          source: 'ec2',
          name: 'RunInstances',
          params: { iamInstanceProfile: { name: 'batch' } },
        }),
      ]);
      const result = await runCliCaptured(
        [
          'from-trail',
          '--role',
          'launcher',
          '--events',
          events,
          '--iam-snapshot',
          'iam',
          '--endpoint-url',
          moto.endpoint,
        ],
        dir,
      );
      expect(result.code).toBe(0);
      const passRole = JSON.parse(result.stdout).Statement.find((st: { Action: string[] }) =>
        st.Action.includes('iam:PassRole'),
      );
      expect(passRole.Resource).toEqual([`arn:aws:iam::${testAccount}:role/batch-ec2`]);
    } finally {
      process.env = saved;
      await moto.stop();
    }
  });
});
