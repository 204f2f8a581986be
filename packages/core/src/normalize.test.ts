import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIssue, normalizeEventTime, normalizeRecord, recordsOfDocument } from './normalize.js';

const origin = { source: 'f.json', index: 0 };
const base = {
  eventVersion: '1.08',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  eventTime: '2024-01-02T03:04:05Z',
  awsRegion: 'eu-west-1',
  userIdentity: {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::111122223333:assumed-role/app/s',
    accountId: '111122223333',
    sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/svc/app' } },
  },
  requestParameters: { bucketName: 'b', key: 'k' },
  recipientAccountId: '111122223333',
};

describe('recordsOfDocument', () => {
  it.each([
    ['log file', { Records: [base, base] }, 2],
    ['bare array', [base], 1],
    ['single event', base, 1],
    ['LookupEvents response', { Events: [{ EventId: 'x', CloudTrailEvent: JSON.stringify(base) }] }, 1],
    ['LookupEvents item', { EventId: 'x', CloudTrailEvent: JSON.stringify(base) }, 1],
  ])('splits a %s into records', (_, document, count) => {
    const items = [...recordsOfDocument(document, 'f.json')];
    expect(items).toHaveLength(count);
    for (const item of items) expect(isIssue(item)).toBe(false);
  });

  it.each([
    ['an object of the wrong shape', { hello: 1 }],
    ['a number', 42],
    ['null', null],
  ])('reports %s as not CloudTrail data', (_, document) => {
    const [item] = [...recordsOfDocument(document, 'f.json')];
    expect(item).toMatchObject({
      kind: 'unreadable-file',
      message: expect.stringMatching(/^f\.json: not CloudTrail data/),
    });
  });

  it('reports an unparseable CloudTrailEvent string as a malformed record', () => {
    const [item] = [...recordsOfDocument({ Events: [{ CloudTrailEvent: '{oops' }] }, 'f.json')];
    expect(item).toMatchObject({
      kind: 'malformed-record',
      message: 'f.json record 1: CloudTrailEvent is not valid JSON',
    });
  });
});

describe('normalizeRecord', () => {
  it('keeps the fields the pipeline needs, with the session issuer and its path', () => {
    const event = normalizeRecord(base, origin);
    expect(event).toMatchObject({
      eventSource: 's3.amazonaws.com',
      eventName: 'GetObject',
      eventTime: '2024-01-02T03:04:05.000Z',
      awsRegion: 'eu-west-1',
      recipientAccountId: '111122223333',
      userIdentity: { type: 'AssumedRole', issuerArn: 'arn:aws:iam::111122223333:role/svc/app', issuerType: 'Role' },
      requestParameters: { bucketName: 'b', key: 'k' },
      resources: [],
    });
  });

  it('takes the time from @timestamp when eventTime is missing (logstash exports)', () => {
    const { eventTime: _, ...rest } = base;
    expect(normalizeRecord({ ...rest, '@timestamp': '2020-09-14T01:00:04.000Z' }, origin)).toMatchObject({
      eventTime: '2020-09-14T01:00:04.000Z',
    });
  });

  it('keeps an event whose time is not a date, without a time', () => {
    const event = normalizeRecord({ ...base, eventTime: '2014-03-06T21: 22: 54Z' }, origin);
    expect(isIssue(event)).toBe(false);
    expect(event).not.toHaveProperty('eventTime');
  });

  it.each([
    ['not an object', 'text', 'f.json record 1: record is not a JSON object'],
    ['no eventSource', { ...base, eventSource: undefined }, 'f.json record 1: missing eventSource'],
    ['numeric eventSource', { ...base, eventSource: 5 }, 'f.json record 1: missing eventSource'],
    [
      'foreign eventSource',
      { ...base, eventSource: 'evil.example.com' },
      'f.json record 1: eventSource "evil.example.com" is not an AWS service endpoint',
    ],
    ['no eventName', { ...base, eventName: '' }, 'f.json record 1: missing eventName (eventSource s3.amazonaws.com)'],
  ])('rejects a record with %s', (_, record, message) => {
    expect(normalizeRecord(record, origin)).toEqual({ kind: 'malformed-record', origin, message });
  });

  it('ignores wrongly typed optional fields and prototype keys instead of failing', () => {
    const record = JSON.parse(
      '{"eventSource":"sqs.amazonaws.com","eventName":"SendMessage","requestParameters":[1,2],"resources":"x","userIdentity":{"__proto__":{"type":"Root"}},"awsRegion":7}',
    );
    const event = normalizeRecord(record, origin);
    expect(event).toMatchObject({ requestParameters: {}, resources: [], awsRegion: 'us-east-1', userIdentity: {} });
  });

  it('lower-cases the event source so odd casing maps the same', () => {
    expect(normalizeRecord({ ...base, eventSource: 'S3.AmazonAWS.com' }, origin)).toMatchObject({
      eventSource: 's3.amazonaws.com',
    });
  });
});

describe('normalizeEventTime', () => {
  const parsed = (raw: string) => {
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
  };

  it.each([
    ['2024-01-31T12:00:00Z', '2024-01-31T12:00:00.000Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
    ['2023-02-29T00:00:00Z', '2023-03-01T00:00:00.000Z'],
    ['2024-01-01T24:00:00Z', '2024-01-02T00:00:00.000Z'],
    ['2024-13-01T00:00:00Z', undefined],
    ['2024-01-01T00:00:60Z', undefined],
    ['2024-01-01T00:00:00.123Z', '2024-01-01T00:00:00.123Z'],
    ['2024-01-01 00:00:00Z', parsed('2024-01-01 00:00:00Z')],
    ['not a time', undefined],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeEventTime(raw)).toBe(expected);
  });

  it('gives what Date.parse gives for every text of the CloudTrail shape', () => {
    const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
    const shaped = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2))
      .map(([y, mo, d, h, mi, s]) => `${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
    fc.assert(
      fc.property(fc.oneof(shaped, fc.string({ minLength: 20, maxLength: 20 })), (raw) => {
        expect(normalizeEventTime(raw)).toBe(parsed(raw));
      }),
      { numRuns: 2000 },
    );
  });
});
