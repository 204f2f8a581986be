import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RequestProjection } from './projection.js';
import { activityColumnNames } from './projection.js';
import { cloudTrailTableDdl, principalActivityQuery, principalLikePatterns } from './queries.js';

const projection: RequestProjection = {
  keys: ['bucketname'],
  serviceKeys: ['s3.amazonaws.com|key', 's3.amazonaws.com|x-amz-copy-source'],
  keepValuesMatching: '"arn:',
  errorMessagePattern: 'not authorized to perform:{0,1}\\s+([a-z0-9-]+:[A-Za-z0-9]+)',
};

const query = {
  table: 'security.cloudtrail',
  principals: [{ kind: 'role' as const, value: "arn:aws:iam::123456789012:role/app' OR '1'='1" }],
  since: '2024-05-01T00:00:00Z',
  until: '2024-06-01T00:00:00Z',
  regions: ['us-east-1', 'eu-west-1'],
  projection,
};

/** `?` outside string literals: the placeholders the parameters fill. */
function placeholders(sql: string): number {
  return (sql.replace(/'(?:[^']|'')*'/g, '').match(/\?/g) ?? []).length;
}

/** A LIKE pattern as a regular expression, to check what a pattern admits. */
function likeMatches(pattern: string, value: string): boolean {
  const source = [...pattern].map((c) =>
    c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  );
  return new RegExp(`^${source.join('')}$`, 's').test(value);
}

describe('principalActivityQuery', () => {
  it('passes every user value as a quoted execution parameter, never in the SQL', () => {
    const { sql, parameters } = principalActivityQuery(query);
    expect(sql).not.toContain('123456789012');
    expect(sql).not.toContain('us-east-1');
    expect(sql).toContain('  WHERE region IN (?, ?)');
    expect(sql).toContain('coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn) LIKE ?');
    expect(parameters).toEqual([
      "'us-east-1'",
      "'eu-west-1'",
      "'2024/05/01'",
      "'2024/06/01'",
      "'2024-05-01T00:00:00Z'",
      "'2024-06-01T00:00:00Z'",
      "'arn:%:iam::123456789012:role/app'' OR ''1''=''1'",
      "'arn:%:iam::123456789012:role/%/app'' OR ''1''=''1'",
      "'arn:%:sts::123456789012:assumed-role/app'' OR ''1''=''1/%'",
    ]);
    expect(placeholders(sql)).toBe(parameters.length);
  });

  it('selects every column the row reader needs, in order, and groups by all but the aggregates', () => {
    const { sql } = principalActivityQuery(query);
    const outer = /^SELECT ([\s\S]*?)\nFROM \(/.exec(sql)?.[1] ?? '';
    expect(outer.split(/,\n\s*/).map((c) => c.replace(/^.* AS /, ''))).toEqual(activityColumnNames);
    for (const name of activityColumnNames.slice(0, -4)) expect(sql).toContain(` AS ${name},\n`);
    expect(sql).toContain(`) AS events\nGROUP BY ${activityColumnNames.slice(0, -4).join(', ')}\n`);
    expect(sql).toContain("contains(ARRAY['bucketname'], lower(k))");
    expect(sql).toContain(
      "contains(ARRAY['s3.amazonaws.com|key', 's3.amazonaws.com|x-amz-copy-source'], concat(lower(eventsource), '|', lower(k)))",
    );
  });

  it('reads every principal without a principal filter for --all', () => {
    const { sql, parameters } = principalActivityQuery({ ...query, principals: 'all' });
    expect(sql).not.toContain('LIKE');
    expect(parameters).toHaveLength(6);
  });

  it('ends the day range one delivery day after the window', () => {
    const { parameters } = principalActivityQuery({ ...query, until: '2024-06-01T10:00:00Z' });
    expect(parameters.slice(2, 4)).toEqual(["'2024/05/01'", "'2024/06/02'"]);
  });

  it('never lets a value out of its literal', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (name, role) => {
        const { sql, parameters } = principalActivityQuery({
          ...query,
          principals: [
            { kind: 'user', value: `x${name}` },
            { kind: 'role', value: role },
          ],
        });
        expect(placeholders(sql)).toBe(parameters.length);
        for (const p of parameters) expect(p).toMatch(/^'([^']|'')*'$/);
      }),
    );
  });

  it.each([
    ['table', { table: 'x; DROP TABLE y' }],
    ['region', { regions: ["us-east-1') --"] }],
    ['time', { since: '2024-05-01' }],
    ['window', { since: '2024-06-01T00:00:00Z' }],
    ['no region', { regions: [] }],
    ['no principal', { principals: [] }],
    ['request key', { projection: { ...projection, keys: ["key') OR 1=1 --"] } }],
    ['service key', { projection: { ...projection, serviceKeys: ["s3|key'"] } }],
  ])('rejects an unsafe or malformed %s', (_, override) => {
    expect(() => principalActivityQuery({ ...query, ...override })).toThrow();
  });
});

describe('principalLikePatterns', () => {
  it.each([
    ['role', 'app', 'arn:aws:iam::123456789012:role/app', true],
    ['role', 'app', 'arn:aws:iam::123456789012:role/service/app', true],
    ['role', 'app', 'arn:aws:sts::123456789012:assumed-role/app/session-1', true],
    ['role', 'app', 'arn:aws:iam::123456789012:role/app-2', false],
    ['role', 'app', 'arn:aws:iam::123456789012:user/app', false],
    ['role', 'orders-*', 'arn:aws-cn:iam::123456789012:role/orders-api', true],
    ['role', 'arn:aws:iam::123456789012:role/x/app', 'arn:aws:iam::123456789012:role/app', true],
    ['role', 'arn:aws:iam::123456789012:role/app', 'arn:aws:iam::210987654321:role/app', false],
    ['user', 'alice', 'arn:aws:iam::123456789012:user/alice', true],
    ['user', 'alice', 'arn:aws:iam::123456789012:user/staff/alice', true],
    ['user', 'alice', 'arn:aws:sts::123456789012:federated-user/alice', true],
    ['user', 'alice', 'arn:aws:iam::123456789012:role/alice', false],
  ] as const)('%s %s against %s: %s', (kind, value, arn, expected) => {
    expect(principalLikePatterns({ kind, value }).some((p) => likeMatches(p, arn))).toBe(expected);
  });

  it('rejects a selector without a name', () => {
    expect(() => principalLikePatterns({ kind: 'role', value: '' })).toThrow();
    expect(() => principalLikePatterns({ kind: 'role', value: 'arn:aws:iam::1:role/' })).toThrow();
  });
});

describe('cloudTrailTableDdl', () => {
  it('projects region and day partitions over a single-account delivery layout', () => {
    const { sql, parameters } = cloudTrailTableDdl({
      table: 'security.cloudtrail',
      location: 's3://trail-bucket/AWSLogs/123456789012/CloudTrail/',
      projectionStart: '2024/01/01',
    });
    expect(parameters).toEqual([]);
    expect(sql).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS security.cloudtrail (');
    expect(sql).toContain('PARTITIONED BY (region STRING, day STRING)');
    expect(sql).toContain("'projection.day.range' = '2024/01/01,NOW'");
    expect(sql).toContain(
      "'storage.location.template' = 's3://trail-bucket/AWSLogs/123456789012/CloudTrail/${region}/${day}'",
    );
  });

  it('adds an account partition for an organization trail', () => {
    const { sql } = cloudTrailTableDdl({
      table: 'security.org_trail',
      location: 's3://org-trail/AWSLogs/o-abc123def4/',
      accounts: ['222222222222', '111111111111'],
      projectionStart: '2024/01/01',
    });
    expect(sql).toContain('PARTITIONED BY (account STRING, region STRING, day STRING)');
    expect(sql).toContain("'projection.account.values' = '111111111111,222222222222'");
    expect(sql).toContain(
      "'storage.location.template' = 's3://org-trail/AWSLogs/o-abc123def4/${account}/CloudTrail/${region}/${day}'",
    );
  });

  it.each([
    { location: "s3://bucket/x'; DROP TABLE t; --/" },
    { location: "s3://trail-bucket/x')--/" },
    { location: "s3://trail-bucket/AWSLogs/1/CloudTrail'/" },
    { projectionStart: '2024/13/45' },
    { projectionStart: '2024/00/10' },
    { projectionStart: '2023/02/29' },
    { projectionStart: '2024/04/31' },
    { location: 'https://bucket/AWSLogs/' },
    { projectionStart: '2024-01-01' },
    { location: 's3://bucket/AWSLogs/o-abc123def4/' },
    { accounts: ['111111111111'] },
    { location: 's3://bucket/AWSLogs/o-abc123def4/', accounts: ["1' --"] },
  ])('rejects %j', (override) => {
    expect(() =>
      cloudTrailTableDdl({
        table: 't',
        location: 's3://bucket/AWSLogs/1/CloudTrail/',
        projectionStart: '2024/01/01',
        ...override,
      }),
    ).toThrow();
  });
});
