import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { proveCoverage } from '@iamgen/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { requireCoverage } from '../src/principal-policy.js';
import { runCliCaptured } from '../src/run-captured.js';
import { trailEvent } from './trail-fixtures.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-from-trail-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const goodRecords = [
  trailEvent({ role: 'app', source: 'dynamodb', name: 'GetItem', params: { tableName: 'orders' } }),
  trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }),
  trailEvent({ role: 'other', source: 's3', name: 'ListBuckets' }),
];

async function writeLog(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return path;
}

describe('events without a usable eventTime', () => {
  it.each([
    [[], 'they count as any other event', ['dynamodb:GetItem', 'sqs:ListQueues']],
    [['--since', '2020-01-01'], 'they are counted as outside --since/--until', ['sqs:ListQueues']],
  ])('with %j: says how many and where they went', async (window, where, actions) => {
    const untimed = { ...goodRecords[0], eventTime: 'yesterday' };
    await writeLog('a.json', JSON.stringify({ Records: [untimed, goodRecords[1]] }));
    const argv = ['from-trail', '--role', 'app', '--events', 'a.json', '--report', 'r.json', ...window];
    const result = await runCliCaptured(argv, dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: 1 events have no usable eventTime (missing, or not a time); ${where}\n`);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
    expect(report.counts.untimedEvents).toBe(1);
    const policy = JSON.parse(result.stdout) as { Statement: { Action: string[] }[] };
    expect(policy.Statement.flatMap((s) => s.Action).sort()).toEqual(actions);
  });
});

describe('from-trail on good input', () => {
  it('prints a sorted, deterministic policy for the role and nothing for other principals', async () => {
    await writeLog('a.json.gz', gzipSync(JSON.stringify({ Records: goodRecords })));
    const result = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir], dir);
    expect(result.code).toBe(0);
    const policy = JSON.parse(result.stdout);
    expect(policy.Version).toBe('2012-10-17');
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'sqs:ListQueues']));
    expect(actions).not.toContain('s3:ListAllMyBuckets');
    expect(result.stdout.endsWith('}\n')).toBe(true);
    const again = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir], dir);
    expect(again.stdout).toBe(result.stdout);
  });

  it('accepts a role ARN, bare arrays, JSON Lines and LookupEvents output', async () => {
    await writeLog('array.json', JSON.stringify([goodRecords[0]]));
    await writeLog('lines.jsonl', `${JSON.stringify(goodRecords[1])}\n${JSON.stringify(goodRecords[2])}`);
    await writeLog(
      'lookup.jsonl',
      JSON.stringify({
        EventId: 'x',
        EventName: 'PutItem',
        CloudTrailEvent: JSON.stringify(trailEvent({ role: 'app', source: 'dynamodb', name: 'PutItem' })),
      }),
    );
    const result = await runCliCaptured(
      ['from-trail', '--role', 'arn:aws:iam::123456789012:role/app', '--events', dir, '--report', join(dir, 'r.json')],
      dir,
    );
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
    expect(report.counts).toMatchObject({ files: 3, eventsRead: 4, matched: 3 });
    expect(report.coverage).toEqual({ checked: 3, allowed: 3 });
    expect(result.stdout).toContain('dynamodb:PutItem');
  });

  it('shows a summary with the coverage proof on a terminal only', async () => {
    await writeLog('a.json', JSON.stringify({ Records: goodRecords }));
    const tty = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir], dir, true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('read 1 files, 3 events');
    expect(tty.stderr).toContain('role app: 2 events matched, 2 mapped, 0 denied, 0 unmapped');
    expect(tty.stderr).toContain('coverage: 2 of 2 observed accesses allowed');
    const piped = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir], dir, false);
    expect(piped.stderr).not.toContain('coverage:');
    expect(piped.stdout).toBe(tty.stdout);
  });

  it('writes --out atomically and leaves no temporary files', async () => {
    await writeLog('a.json', JSON.stringify({ Records: goodRecords }));
    const out = join(dir, 'policy.json');
    const result = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir, '--out', out], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(JSON.parse(await readFile(out, 'utf8')).Statement.length).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('filters by --since/--until and prunes delivery-date folders', async () => {
    const inWindow = trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues', time: '2024-05-02T10:00:00Z' });
    const early = trailEvent({ role: 'app', source: 'sns', name: 'ListTopics', time: '2024-04-01T10:00:00Z' });
    const base = 'AWSLogs/123456789012/CloudTrail/us-east-1';
    await writeLog(`${base}/2024/05/02/a.json`, JSON.stringify({ Records: [inWindow] }));
    await writeLog(`${base}/2024/04/01/a.json`, JSON.stringify({ Records: [early] }));
    // A corrupt file in a pruned folder is never opened.
    await writeLog(`${base}/2023/12/31/broken.json`, 'not json');
    const report = join(dir, 'r.json');
    const result = await runCliCaptured(
      [
        'from-trail',
        '--role',
        'app',
        '--events',
        dir,
        '--since',
        '2024-05-01',
        '--until',
        '2024-06-01',
        '--report',
        report,
      ],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('sqs:ListQueues');
    expect(result.stdout).not.toContain('sns:ListTopics');
    const counts = JSON.parse(await readFile(report, 'utf8')).counts;
    expect(counts.files).toBe(1);
    expect(result.stderr).not.toContain('broken');
  });

  it('writes YAML and CloudFormation that parse back to the same policy', async () => {
    await writeLog('a.json', JSON.stringify({ Records: goodRecords }));
    const json = JSON.parse((await runCliCaptured(['from-trail', '--role', 'app', '--events', dir], dir)).stdout);
    const yaml = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir, '--format', 'yaml'], dir);
    expect(parseYaml(yaml.stdout)).toEqual(json);
    const cfn = await runCliCaptured(
      ['from-trail', '--role', 'app', '--events', dir, '--format', 'cloudformation'],
      dir,
    );
    const template = parseYaml(cfn.stdout);
    expect(template.Resources.AppPolicy.Properties).toMatchObject({ Roles: ['app'], PolicyDocument: json });
  });

  it('generates for an IAM user with --user', async () => {
    await writeLog(
      'a.json',
      JSON.stringify({ Records: [trailEvent({ user: 'build-bot', source: 'ecr', name: 'GetAuthorizationToken' })] }),
    );
    const result = await runCliCaptured(['from-trail', '--user', 'build-bot', '--events', dir], dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).Statement[0].Action).toEqual(['ecr:GetAuthorizationToken']);
  });

  it.each([
    // Quoted, so a YAML 1.1 reader (PyYAML) does not read a date.
    ['yaml', 'Version: "2012-10-17"'],
    ['terraform', 'resource "aws_iam_policy" "app_policy"'],
    ['cloudformation', 'Type: AWS::IAM::ManagedPolicy'],
  ])('renders --format %s', async (format, expected) => {
    await writeLog('a.json', JSON.stringify({ Records: goodRecords }));
    const result = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir, '--format', format], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(expected);
    expect(result.stdout).toContain('dynamodb:GetItem');
  });
});

describe('from-trail on bad input', () => {
  it('skips a truncated .gz, a non-JSON file, a wrong-shape file and a record without eventSource, naming each', async () => {
    await writeLog('good.json', JSON.stringify({ Records: goodRecords }));
    await writeLog('truncated.json.gz', gzipSync(JSON.stringify({ Records: goodRecords })).subarray(0, 40));
    await writeLog('notjson.json', 'this is not json');
    await writeLog('shape.json', JSON.stringify({ hello: 'world' }));
    const { eventSource: _, ...noSource } = trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' });
    await writeLog('nosource.json', JSON.stringify({ Records: [noSource] }));
    const report = join(dir, 'r.json');
    const result = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir, '--report', report], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('dynamodb:GetItem');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'warning: truncated.json.gz: cannot decompress (truncated gzip data)',
        expect.stringMatching(/^warning: notjson\.json: not valid JSON \(.+\)$/),
        expect.stringMatching(/^warning: shape\.json: not CloudTrail data/),
        'warning: nosource.json record 1: missing eventSource',
      ]),
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    const counts = JSON.parse(await readFile(report, 'utf8')).counts;
    expect(counts).toMatchObject({ files: 5, unreadableFiles: 3, malformedRecords: 1 });
  });

  it('fails with exit 1 on an empty folder', async () => {
    await mkdir(join(dir, 'empty'));
    const result = await runCliCaptured(['from-trail', '--role', 'app', '--events', 'empty'], dir);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('iamgen: no CloudTrail events found in empty\n');
  });

  it('fails with exit 2 on a nonexistent path', async () => {
    const result = await runCliCaptured(['from-trail', '--role', 'app', '--events', 'nope'], dir);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('iamgen: nope: no such file or folder\n');
  });

  it('lists the roles that were seen when the role never appears, and writes no --out file', async () => {
    await writeLog('a.json', JSON.stringify({ Records: goodRecords }));
    const out = join(dir, 'policy.json');
    const result = await runCliCaptured(['from-trail', '--role', 'ghost', '--events', dir, '--out', out], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'iamgen: role ghost not seen in the logs (3 records were skipped unparsed: their text does not name it); iamgen roles lists the principals seen\n',
    );
    await expect(readFile(out)).rejects.toThrow();
  });

  it.each([
    [['from-trail', '--events', 'x'], /missing --role/],
    [['from-trail', '--role', 'a', '--user', 'b', '--events', 'x'], /several principals need --out-dir/],
    [['from-trail', '--role', 'app-*', '--events', 'x', '--out', 'p.json'], /several principals need --out-dir/],
    [['from-trail', '--role', 'a', '--events', 'x', '--out-dir', 'd'], /--out-dir is for several principals/],
    [['from-trail', '--role', 'a'], /--events/],
    [
      ['from-trail', '--role', 'a', '--events', '.', '--since', 'yesterday'],
      /--since "yesterday": expected a duration/,
    ],
    [['from-trail', '--role', 'a', '--events', '.', '--format', 'xml'], /Invalid values/],
    [
      ['from-trail', '--role', 'a', '--events', '.', '--since', '2024-02-30'],
      /2024-02-30 is not a day of the calendar/,
    ],
    [['from-trail', '--role', 'a', '--events', '.', '--until', '2023-02-29T10:00:00Z'], /not a day of the calendar/],
    [['from-trail', '--all', '--events', '.', '--out-dir', ''], /^iamgen: --out-dir needs a value/],
    [['from-trail', '--role', 'a', '--events', '.', '--out', ''], /^iamgen: --out needs a value/],
    [['from-trail', '--role', 'a', '--events', ''], /^iamgen: --events needs a value/],
    [['roles', '--events', '.', '--cache', ''], /^iamgen: --cache needs a value/],
    [['frm-trail'], /Unknown argument|Did you mean/],
    [
      ['from-trail', '--role', 'a', '--events', '.', '--workers', '1.5'],
      /^iamgen: --workers 1\.5: give a whole number/,
    ],
    [['from-trail', '--role', 'a', '--events', '.', '--workers', 'all'], /^iamgen: --workers all: give a whole number/],
    [['roles', '--events', '.', '--workers', '-1'], /^iamgen: --workers -1: give a whole number/],
    [['from-trail', '--role', 'a', '--events', '.', '--workers', '257'], /^iamgen: --workers 257: .* to 256, or auto/],
    [['from-trail', '--role', 'a', '--events', '.', '--concurrency', '0'], /^iamgen: --concurrency 0: give a whole/],
    [['roles', '--events', '.', '--concurrency', 'many'], /^iamgen: --concurrency many: give a whole/],
  ])('rejects usage error %j with exit 2', async (argv, message) => {
    const result = await runCliCaptured(argv, dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('reports denied calls without granting them unless --include-denied', async () => {
    const denied = trailEvent({
      role: 'app',
      source: 'sqs',
      name: 'DeleteQueue',
      params: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs' },
      errorCode: 'AccessDenied',
      errorMessage: 'Access to the resource https://sqs.us-east-1.amazonaws.com/ is denied.',
    });
    await writeLog('a.json', JSON.stringify({ Records: [...goodRecords, denied] }));
    const plain = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir], dir);
    expect(plain.stdout).not.toContain('sqs:DeleteQueue');
    expect(plain.stderr).toContain('1 denied calls were not granted');
    const withDenied = await runCliCaptured(['from-trail', '--role', 'app', '--events', dir, '--include-denied'], dir);
    expect(withDenied.stdout).toContain('sqs:DeleteQueue');
  });
  it('prints a policy without statements, exit 0, when every call was denied or needed no permission', async () => {
    const records = [
      trailEvent({ role: 'locked', source: 'sts', name: 'GetCallerIdentity' }),
      trailEvent({
        role: 'locked',
        source: 'ec2',
        name: 'DescribeInstances',
        errorCode: 'Client.UnauthorizedOperation',
      }),
    ];
    await writeLog('a.json', JSON.stringify({ Records: records }));
    const result = await runCliCaptured(['from-trail', '--role', 'locked', '--events', dir], dir);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ Version: '2012-10-17', Statement: [] });
    expect(result.stderr).toMatch(/none of the 2 matched events needs a permission that can be granted \(denied 1/);
  });
});

describe('help', () => {
  it.each(['from-trail', 'roles'])('%s --help lists its flags with an example', async (command) => {
    const result = await runCliCaptured([command, '--help'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--events');
    expect(result.stdout).toContain('Examples:');
  });
});

describe('roles', () => {
  it('lists principals with counts and activity windows', async () => {
    await writeLog('a.json', JSON.stringify({ Records: goodRecords }));
    const result = await runCliCaptured(['roles', '--events', dir, '--format', 'json'], dir);
    expect(result.code).toBe(0);
    const { principals } = JSON.parse(result.stdout);
    expect(principals).toEqual([
      {
        arn: 'arn:aws:iam::123456789012:role/app',
        kind: 'role',
        events: 2,
        firstSeen: '2024-05-01T12:00:00.000Z',
        lastSeen: '2024-05-01T12:00:00.000Z',
      },
      {
        arn: 'arn:aws:iam::123456789012:role/other',
        kind: 'role',
        events: 1,
        firstSeen: '2024-05-01T12:00:00.000Z',
        lastSeen: '2024-05-01T12:00:00.000Z',
      },
    ]);
  });
});

describe('coverage proof', () => {
  it('fails the run, naming the accesses, when a policy does not allow what was observed', () => {
    const broken = {
      Version: '2012-10-17' as const,
      Statement: [{ Effect: 'Allow' as const, Action: ['sqs:ListQueues'], Resource: ['*'] }],
    };
    expect(() =>
      requireCoverage(
        'role app',
        proveCoverage(
          [broken],
          [
            { action: 'sqs:ListQueues', resource: '*' },
            { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders' },
          ],
        ),
      ),
    ).toThrow(
      'role app: coverage proof failed: the generated policy does not allow 1 of 2 observed accesses: dynamodb:GetItem on arn:aws:dynamodb:us-east-1:123456789012:table/orders',
    );
  });
});
