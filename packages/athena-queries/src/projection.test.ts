import { describe, expect, it } from 'vitest';
import type { RequestProjection } from './projection.js';
import { activityColumnNames, observationOfRow, projectionTwin } from './projection.js';

const projection: RequestProjection = {
  keys: ['bucketname'],
  serviceKeys: ['s3.amazonaws.com|key'],
  keepValuesMatching: '"arn:|"[iI]am[iI]nstance[pP]rofile"\\s*:',
  errorMessagePattern:
    'not authorized to perform:{0,1}\\s+([a-z0-9-]+:[A-Za-z0-9]+)(\\s+on resource:{0,1}\\s+"{0,1}(arn:[^\\s"]+|\\*)){0,1}',
};

const session = (name: string, time: string, extra: Record<string, unknown> = {}) => ({
  eventTime: time,
  eventID: `id-${time}`,
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'us-east-1',
  recipientAccountId: '123456789012',
  userIdentity: {
    type: 'AssumedRole',
    arn: `arn:aws:sts::123456789012:assumed-role/app/${name}`,
    accountId: '123456789012',
    principalId: `AROAEXAMPLE:${name}`,
    sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::123456789012:role/app' } },
  },
  requestParameters: { bucketName: 'b', key: 'k', Host: `b.s3.amazonaws.com`, 'x-id': name },
  resources: [{ ARN: 'arn:aws:s3:::b/k', type: 'AWS::S3::Object' }],
  ...extra,
});

describe('projectionTwin', () => {
  it('folds sessions of one role and one call into a row with their count and times', () => {
    const rows = projectionTwin(
      [
        session('s1', '2024-05-02T00:00:00Z'),
        session('s2', '2024-05-01T00:00:00Z'),
        session('s3', '2024-05-03T00:00:00Z'),
      ],
      projection,
    );
    expect(rows).toEqual([
      {
        identity_type: 'AssumedRole',
        identity_arn: 'arn:aws:sts::123456789012:assumed-role/app/*',
        identity_account: '123456789012',
        invoked_by: null,
        principal_id: null,
        issuer_arn: 'arn:aws:iam::123456789012:role/app',
        issuer_type: 'Role',
        event_source: 's3.amazonaws.com',
        event_name: 'GetObject',
        aws_region: 'us-east-1',
        recipient_account_id: '123456789012',
        event_type: null,
        event_category: null,
        error_code: null,
        error_denial: null,
        request_subset: '{"bucketName":"b","key":"k"}',
        resource_arns: '["arn:aws:s3:::b/k"]',
        event_count: '3',
        first_seen: '2024-05-01T00:00:00Z',
        last_seen: '2024-05-03T00:00:00Z',
        sample_event_id: 'id-2024-05-01T00:00:00Z',
      },
    ]);
    expect(Object.keys(rows[0] ?? {})).toEqual(activityColumnNames);
  });

  it.each([
    ['a role passed at any depth', { containerDefinitions: [{ taskRoleArn: 'arn:aws:iam::1:role/r' }] }, true],
    ['an instance profile by name', { launchTemplateData: { IamInstanceProfile: { name: 'p' } } }, true],
    ['a value without a resource', { maxResults: 5, nextToken: 'abc' }, false],
    ['a key another service reads', { key: { orderId: { S: 'o-1' } } }, false],
  ])('keeps a top-level entry holding %s', (_, extra, kept) => {
    const event = session('s', '2024-05-01T00:00:00Z', {
      eventSource: 'dynamodb.amazonaws.com',
      requestParameters: extra,
    });
    const [row] = projectionTwin([event], projection);
    expect(row?.request_subset).toBe(kept ? JSON.stringify(extra) : '{}');
  });

  it('keeps only the part of an error message the denial parser reads', () => {
    const [row] = projectionTwin(
      [
        session('s', '2024-05-01T00:00:00Z', {
          errorCode: 'AccessDenied',
          errorMessage:
            'User: arn:aws:sts::1:assumed-role/app/s is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows it',
        }),
      ],
      projection,
    );
    expect(row?.error_denial).toBe('not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k');
  });
});

describe('observationOfRow', () => {
  const [row] = projectionTwin(
    [session('s1', '2024-05-01T00:00:00Z'), session('s2', '2024-05-04T00:00:00Z')],
    projection,
  );

  it('rebuilds a CloudTrail-shaped record with the count and times of the row', () => {
    expect(observationOfRow(row ?? {})).toEqual({
      record: {
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        awsRegion: 'us-east-1',
        recipientAccountId: '123456789012',
        eventTime: '2024-05-01T00:00:00Z',
        eventID: 'id-2024-05-01T00:00:00Z',
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::123456789012:assumed-role/app/*',
          accountId: '123456789012',
          sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/app', type: 'Role' } },
        },
        requestParameters: { bucketName: 'b', key: 'k' },
        resources: [{ ARN: 'arn:aws:s3:::b/k' }],
      },
      count: 2,
      firstSeen: '2024-05-01T00:00:00.000Z',
      lastSeen: '2024-05-04T00:00:00.000Z',
      eventId: 'id-2024-05-01T00:00:00Z',
    });
  });

  it.each([
    ['a count that is not a number', { event_count: 'many' }, /event_count/],
    ['a zero count', { event_count: '0' }, /event_count/],
    ['a hexadecimal count', { event_count: '0x10' }, /^event_count "0x10"$/],
    ['a count in exponent notation', { event_count: '1e3' }, /^event_count "1e3"$/],
    ['a count with a space', { event_count: ' 5' }, /^event_count " 5"$/],
    ['a count with a fraction', { event_count: '5.0' }, /^event_count "5.0"$/],
    ['request fields that are not JSON', { request_subset: '{bucketName' }, /not JSON/],
    ['resources that are not a list', { resource_arns: '{}' }, /not an array/],
  ])('names the problem with %s', (_, override, message) => {
    const result = observationOfRow({ ...row, ...override });
    expect('error' in result ? result.error : '').toMatch(message);
  });

  it.each([
    ['no first time', { first_seen: null }],
    ['a first time that is not a time', { first_seen: 'yesterday' }],
  ])('reads a row with %s as events of unknown time, as the local path reads such an event', (_, override) => {
    const result = observationOfRow({ ...row, ...override });
    expect('error' in result).toBe(false);
    expect('error' in result ? undefined : result.firstSeen).toBeUndefined();
  });
});
