import { describe, expect, it } from 'vitest';
import { cloudTrailTableDdl, principalActivityQuery } from './queries.js';

const query = {
  table: 'security.cloudtrail',
  principalArn: "arn:aws:iam::123456789012:role/app' OR '1'='1",
  since: '2024-05-01T00:00:00Z',
  until: '2024-06-01T00:00:00Z',
  regions: ['us-east-1', 'eu-west-1'],
  requestFields: ['$.bucketName', '$.key', '$.tableName'],
};

describe('principalActivityQuery', () => {
  it('passes every user value as a parameter, never in the SQL', () => {
    const { sql, parameters } = principalActivityQuery(query);
    expect(sql).not.toContain('123456789012');
    expect(sql).toContain('WHERE (useridentity.sessioncontext.sessionissuer.arn = ? OR useridentity.arn = ?)');
    expect(sql).toContain('AND region IN (?, ?)');
    expect(sql).toContain("json_extract_scalar(requestparameters, '$.bucketName') AS request_0");
    expect(sql).toContain('count(*) AS event_count');
    expect(parameters).toEqual([
      query.principalArn,
      query.principalArn,
      'us-east-1',
      'eu-west-1',
      '2024/04/30',
      '2024/06/01',
      '2024-05-01T00:00:00Z',
      '2024-06-01T00:00:00Z',
    ]);
    expect((sql.match(/\?/g) ?? []).length).toBe(parameters.length);
  });

  it.each([
    ['table', { table: 'x; DROP TABLE y' }],
    ['region', { regions: ["us-east-1') --"] }],
    ['request field', { requestFields: ["$.key') OR 1=1 --"] }],
    ['time', { since: '2024-05-01' }],
    ['no region', { regions: [] }],
  ])('rejects an unsafe or malformed %s', (_, override) => {
    expect(() => principalActivityQuery({ ...query, ...override })).toThrow();
  });
});

describe('cloudTrailTableDdl', () => {
  it('projects region and day partitions over the delivery layout', () => {
    const { sql, parameters } = cloudTrailTableDdl({
      table: 'security.cloudtrail',
      location: 's3://org-trail-bucket/AWSLogs/123456789012/CloudTrail/',
      projectionStart: '2024/01/01',
    });
    expect(parameters).toEqual([]);
    expect(sql).toContain('CREATE EXTERNAL TABLE IF NOT EXISTS security.cloudtrail (');
    expect(sql).toContain("'projection.day.range' = '2024/01/01,NOW'");
    expect(sql).toContain(
      "'storage.location.template' = 's3://org-trail-bucket/AWSLogs/123456789012/CloudTrail/${region}/${day}'",
    );
  });

  it.each([
    { location: "s3://bucket/x'; DROP TABLE t; --/" },
    { location: 'https://bucket/AWSLogs/' },
    { projectionStart: '2024-01-01' },
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
