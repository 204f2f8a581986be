import { HiveSQL, TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { athenaSummaryLine, pollDelay, queryCost } from '../src/sources/athena-query.js';

describe('iamgen athena', () => {
  it('prints the activity query with its parameters, request keys taken from the mapping catalog', async () => {
    const result = await runCliCaptured(
      [
        'athena',
        'query',
        '--role',
        'arn:aws:iam::123456789012:role/app',
        '--regions',
        'us-east-1',
        '--since',
        '2024-05-01',
        '--until',
        '2024-06-01',
        '--format',
        'json',
      ],
      process.cwd(),
    );
    expect(result.code).toBe(0);
    const query = JSON.parse(result.stdout);
    // ARN-template placeholders of the catalog in every service; keys of service rules in their service only.
    for (const key of ['bucketname', 'functionname', 'restapiid', 'iaminstanceprofile'])
      expect(query.sql).toContain(`'${key}'`);
    for (const key of [
      's3.amazonaws.com|x-amz-copy-source',
      's3.amazonaws.com|key',
      'dynamodb.amazonaws.com|transactitems',
    ])
      expect(query.sql).toContain(`'${key}'`);
    expect(query.sql).not.toContain("'key'");
    // No `?` but the placeholders, so Athena cannot misread a regular expression as one.
    expect(query.sql.match(/\?/g)).toHaveLength(query.parameters.length);
    expect(query.parameters).toEqual([
      "'us-east-1'",
      "'2024/05/01'",
      "'2024/06/01'",
      "'2024-05-01T00:00:00Z'",
      "'2024-06-01T00:00:00Z'",
      "'arn:%:iam::123456789012:role/app'",
      "'arn:%:iam::123456789012:role/%/app'",
      "'arn:%:sts::123456789012:assumed-role/app/%'",
    ]);
  });

  it('selects several principals, or all, in one query', async () => {
    const run = (...flags: string[]) =>
      runCliCaptured(['athena', 'query', '--regions', 'us-east-1', '--format', 'json', ...flags], process.cwd());
    const several = JSON.parse((await run('--role', 'orders-*', '--role', 'billing', '--user', 'ci')).stdout);
    expect(several.parameters.slice(5)).toEqual([
      "'arn:%:iam::%:role/orders-%'",
      "'arn:%:iam::%:role/%/orders-%'",
      "'arn:%:sts::%:assumed-role/orders-%/%'",
      "'arn:%:iam::%:role/billing'",
      "'arn:%:iam::%:role/%/billing'",
      "'arn:%:sts::%:assumed-role/billing/%'",
      "'arn:%:iam::%:user/ci'",
      "'arn:%:iam::%:user/%/ci'",
      "'arn:%:sts::%:federated-user/ci'",
    ]);
    const all = JSON.parse((await run('--all')).stdout);
    expect(all.sql).not.toContain('LIKE');
  });

  // Athena runs queries on Trino and DDL on Hive: both grammars must accept what iamgen prints.
  it('prints SQL that Trino and Hive grammars parse', async () => {
    const query = await runCliCaptured(
      [
        'athena',
        'query',
        '--table',
        'security.cloudtrail',
        '--role',
        'app',
        '--user',
        'ci-*',
        '--regions',
        'us-east-1',
        '--format',
        'json',
      ],
      process.cwd(),
    );
    expect(new TrinoSQL().validate(JSON.parse(query.stdout).sql)).toEqual([]);
    for (const location of ['s3://trail/AWSLogs/123456789012/CloudTrail/', 's3://trail/AWSLogs/o-abc123def4/']) {
      const ddl = await runCliCaptured(
        ['athena', 'ddl', '--location', location, ...(location.includes('/o-') ? ['--accounts', '111111111111'] : [])],
        process.cwd(),
      );
      expect(new HiveSQL().validate(ddl.stdout)).toEqual([]);
    }
    expect(new TrinoSQL().validate('SELECT a FROM t GROUP BY')).not.toEqual([]);
  });

  it('prints the table DDL, for a single account and for an organization', async () => {
    const single = await runCliCaptured(
      ['athena', 'ddl', '--location', 's3://trail/AWSLogs/123456789012/CloudTrail/'],
      process.cwd(),
    );
    expect(single.code).toBe(0);
    expect(single.stdout).toMatch(/^CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs \(/);
    const org = await runCliCaptured(
      ['athena', 'ddl', '--location', 's3://trail/AWSLogs/o-abc123def4/', '--accounts', '111111111111,222222222222'],
      process.cwd(),
    );
    expect(org.code).toBe(0);
    expect(org.stdout).toContain("'projection.account.values' = '111111111111,222222222222'");
  });

  it.each([
    [['athena', 'ddl'], 'iamgen: missing --location\n'],
    [['athena', 'ddl', '--location', 'https://x/'], /^iamgen: invalid S3 location/],
    [['athena', 'ddl', '--location', "s3://trail-bucket/x')--/"], /^iamgen: invalid S3 location/],
    [
      ['athena', 'ddl', '--location', 's3://trail/AWSLogs/1/CloudTrail/', '--projection-start', '2024/13/45'],
      /^iamgen: invalid projection start \(YYYY\/MM\/DD\): "2024\/13\/45"\n$/,
    ],
    [['athena', 'ddl', '--location', 's3://trail/AWSLogs/o-abc123def4/'], /needs the member accounts/],
    [['athena', 'query', '--role', 'a', '--regions', "us-east-1'--"], /^iamgen: invalid region/],
    [['athena', 'query', '--role', 'a'], /needs --regions/],
    [['from-trail', '--role', 'a', '--athena-table', 'db.t'], /--athena-table needs --athena-regions/],
    [
      ['from-trail', '--role', 'a', '--athena-table', 'db.t; DROP', '--athena-regions', 'us-east-1'],
      /invalid table name/,
    ],
    [
      [
        'from-trail',
        '--role',
        'a',
        '--athena-table',
        'db.t',
        '--athena-regions',
        'us-east-1',
        '--athena-output',
        'results/',
      ],
      /--athena-output results\/: not an s3:\/\/bucket\/prefix\/ location/,
    ],
    [
      [
        'from-trail',
        '--role',
        'a',
        '--athena-table',
        'db.t',
        '--athena-regions',
        'us-east-1',
        '--athena-workgroup',
        'a b',
      ],
      /not a workgroup name/,
    ],
    [
      ['from-trail', '--role', 'a', '--athena-table', 'db.t', '--athena-regions', 'us-east-1', '--events', 'logs/'],
      /does not combine with --events/,
    ],
    [['athena', 'query', '--regions', 'us-east-1'], /missing --role/],
    // The flags from-trail refuses, refused alike, so a printed query is one from-trail would run.
    [
      ['athena', 'query', '--role', 'a', '--regions', 'us-east-1', '--region', 'bad region!'],
      /^iamgen: --region bad region!: not an AWS region name/,
    ],
    [
      ['athena', 'query', '--role', 'a', '--regions', 'us-east-1', '--athena-workgroup', 'bad wg'],
      /^iamgen: --athena-workgroup bad wg: not a workgroup name\n$/,
    ],
    [
      ['athena', 'query', '--role', 'a', '--regions', 'us-east-1', '--athena-timeout', '-5'],
      /^iamgen: --athena-timeout must be a positive number of seconds\n$/,
    ],
    [
      ['athena', 'query', '--role', 'a', '--regions', 'us-east-1', '--athena-output', 'results/'],
      /^iamgen: --athena-output results\/: not an s3:\/\/bucket\/prefix\/ location\n$/,
    ],
    [
      ['athena', 'query', '--role', 'a', '--regions', 'us-east-1', '--athena-catalog', 'a.b'],
      /^iamgen: --athena-catalog a\.b: not a data catalog name\n$/,
    ],
  ])('%j is a usage error', async (argv, message) => {
    const result = await runCliCaptured(argv, process.cwd());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('athenaSummaryLine', () => {
  const line = (dataScannedBytes: number) =>
    athenaSummaryLine({
      queryId: 'q-1',
      state: 'SUCCEEDED',
      rows: 3,
      dataScannedBytes,
      costUsd: queryCost(dataScannedBytes),
    });

  it.each([
    // The 10 MB minimum: a cost, not $0.0000.
    [0, 'scanned 0.0 MB, cost $0.000048 '],
    [10 * 1024 ** 2, 'scanned 10.0 MB, cost $0.000048 '],
    [100 * 1024 ** 2, 'scanned 100.0 MB, cost $0.00048 '],
    [1024 ** 3, 'scanned 1.00 GB, cost $0.0049 '],
    [2 * 1024 ** 3, 'scanned 2.00 GB, cost $0.0098 '],
    [2.1 * 1024 ** 3, 'scanned 2.10 GB, cost $0.01 '],
    [1080 * 1024 ** 3, 'scanned 1080.00 GB, cost $5.27 '],
  ])('%d bytes: %s', (bytes, expected) => {
    expect(line(bytes)).toContain(expected);
  });
});

describe('pollDelay', () => {
  const schedule = Array.from({ length: 40 }, (_, poll) => pollDelay(poll));

  it('starts at 0.2 s and grows by 1.6 until it reaches 5 s, then stays there', () => {
    for (const [i, delay] of [200, 320, 512, 819.2].entries()) expect(schedule[i]).toBeCloseTo(delay);
    const capped = schedule.indexOf(5000);
    expect(capped).toBeGreaterThan(4);
    for (let i = 1; i < capped; i += 1) expect(schedule[i]).toBeCloseTo((schedule[i - 1] ?? 0) * 1.6);
    expect(schedule.slice(capped).every((delay) => delay === 5000)).toBe(true);
  });

  it('polls a 30-minute query a few hundred times, not thousands', () => {
    let elapsed = 0;
    let polls = 0;
    while (elapsed < 1800_000) elapsed += pollDelay(polls++);
    expect(polls).toBeLessThan(400);
    // A short query is still seen soon: seven polls within 10 s.
    expect(schedule.slice(0, 7).reduce((a, b) => a + b, 0)).toBeLessThan(10_000);
  });
});

describe('iamgen athena query takes from-trail’s Athena flags', () => {
  const window = ['--role', 'orders-*', '--since', '2024-05-01', '--until', '2024-06-01'];

  it('prints the same query for --athena-table/--athena-regions as for --table/--regions', async () => {
    const own = await runCliCaptured(
      ['athena', 'query', '--table', 'security.cloudtrail', '--regions', 'us-east-1', 'eu-west-1', ...window],
      process.cwd(),
    );
    // The Athena flags of a from-trail command line, pasted as they are.
    const pasted = await runCliCaptured(
      [
        'athena',
        'query',
        '--athena-table',
        'security.cloudtrail',
        '--athena-regions',
        'us-east-1',
        'eu-west-1',
        '--athena-workgroup',
        'primary',
        '--athena-output',
        's3://athena-results/iamgen/',
        '--athena-catalog',
        'AwsDataCatalog',
        '--athena-timeout',
        '600',
        '--profile',
        'audit',
        '--region',
        'eu-west-1',
        '--endpoint-url',
        'https://athena.eu-west-1.amazonaws.com',
        ...window,
      ],
      process.cwd(),
    );
    expect(own).toMatchObject({ code: 0, stderr: '' });
    expect(pasted).toEqual(own);
    expect(own.stdout).toContain('FROM security.cloudtrail');
  });
});
