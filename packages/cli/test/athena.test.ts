import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';

describe('iamgen athena', () => {
  it('prints the activity query with its parameters, request fields taken from the mapping catalog', async () => {
    const result = await runCliCaptured(
      [
        'athena',
        'query',
        '--principal',
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
    expect(query.sql).toContain("json_extract_scalar(requestparameters, '$.bucketName')");
    expect(query.sql).toContain('$["x-amz-copy-source"]');
    expect(query.parameters).toEqual([
      'arn:aws:iam::123456789012:role/app',
      'arn:aws:iam::123456789012:role/app',
      'us-east-1',
      '2024/04/30',
      '2024/06/01',
      '2024-05-01T00:00:00Z',
      '2024-06-01T00:00:00Z',
    ]);
  });

  it('prints the table DDL', async () => {
    const result = await runCliCaptured(
      ['athena', 'ddl', '--location', 's3://trail/AWSLogs/123456789012/CloudTrail/'],
      process.cwd(),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_logs \(/);
  });

  it.each([
    [['athena', 'ddl'], 'iamgen: missing --location\n'],
    [['athena', 'ddl', '--location', 'https://x/'], /^iamgen: invalid S3 location/],
    [
      ['athena', 'query', '--principal', 'arn:aws:iam::1:role/a', '--regions', "us-east-1'--"],
      /^iamgen: invalid region/,
    ],
  ])('%j is a usage error', async (argv, message) => {
    const result = await runCliCaptured(argv, process.cwd());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
