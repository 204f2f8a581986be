import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrailAnalysis } from './analysis.js';
import { readsSessionName } from './attribute.js';
import type { IamCatalog } from './iam-catalog.js';
import { loadIamCatalog } from './iam-catalog.js';
import { mapEvent, mappingCacheKey } from './mapping/index.js';
import { isIssue, normalizeRecord } from './normalize.js';
import type { PrincipalSelection } from './selection.js';
import type { TrailEvent } from './types.js';

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

const account = '123456789012';

function record(role: string, source: string, name: string, params: Record<string, unknown>, n: number) {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${role}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role}/s`,
      accountId: account,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/${role}`, userName: role } },
    },
    eventTime: new Date(Date.UTC(2024, 4, 1) + n * 60_000).toISOString(),
    eventID: `evt-${String(n).padStart(4, '0')}`,
    eventSource: `${source}.amazonaws.com`,
    eventName: name,
    awsRegion: 'us-east-1',
    requestParameters: params,
    recipientAccountId: account,
    eventType: 'AwsApiCall',
  };
}

const calls = [
  ['dynamodb', 'GetItem', { tableName: 'orders' }],
  ['dynamodb', 'PutItem', { tableName: 'inventory' }],
  ['s3', 'GetObject', { bucketName: 'media', key: 'in/a.png' }],
  ['sqs', 'SendMessage', { queueUrl: `https://sqs.us-east-1.amazonaws.com/${account}/jobs` }],
  ['lambda', 'CreateFunction20150331', { functionName: 'f', role: `arn:aws:iam::${account}:role/exec` }],
  ['kms', 'Decrypt', { keyId: `arn:aws:kms:us-east-1:${account}:key/k1` }],
] as const;

const events = fc.array(
  fc.record({ role: fc.constantFrom('app', 'app-2', 'worker'), call: fc.nat(calls.length - 1) }),
  { maxLength: 60 },
);

const selection: PrincipalSelection = { selectors: [{ kind: 'role', value: 'app' }], all: true };

function analyze(records: readonly unknown[]): TrailAnalysis {
  const analysis = new TrailAnalysis(catalog, { selection });
  for (const [index, r] of records.entries()) analysis.addRecord(r, { source: 'test', index });
  return analysis;
}

function summary(analysis: TrailAnalysis) {
  return {
    counts: analysis.counts,
    span: analysis.span,
    principals: [...analysis.principals.values()].sort((a, b) => (a.arn < b.arn ? -1 : 1)),
    analyses: analysis.analyses().map((a) => ({
      key: a.target.key,
      counts: a.counts,
      granted: a.granted.entries(),
      arns: [...a.matchedPrincipals].sort(),
    })),
  };
}

describe('TrailAnalysis', () => {
  it('merging reads of consecutive parts gives what one read of the whole gives', () => {
    fc.assert(
      fc.property(events, fc.nat(), (specs, cutSeed) => {
        const records = specs.map((s, n) => {
          const [source, name, params] = calls[s.call] ?? calls[0];
          return record(s.role, source, name, params, n);
        });
        const cut = records.length === 0 ? 0 : cutSeed % (records.length + 1);
        const whole = analyze(records);
        const merged = new TrailAnalysis(catalog, { selection });
        merged.merge(analyze(records.slice(0, cut)).state());
        merged.merge(analyze(records.slice(cut)).state());
        expect(summary(merged)).toEqual(summary(whole));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps the earliest event as the sample, whatever the order of the reads', () => {
    const early = record('app', 'dynamodb', 'GetItem', { tableName: 'orders' }, 1);
    const late = record('app', 'dynamodb', 'GetItem', { tableName: 'orders' }, 9);
    const forward = analyze([early, late]).analyses()[0]?.granted.entries()[0];
    const backward = analyze([late, early]).analyses()[0]?.granted.entries()[0];
    expect(forward).toMatchObject({ count: 2, sampleEventId: 'evt-0001', firstSeen: early.eventTime });
    expect(backward).toEqual(forward);
  });
});

describe('TrailAnalysis edge cases', () => {
  it('keeps an event at the first millisecond of a window given without milliseconds', () => {
    const first = record('app', 'dynamodb', 'GetItem', { tableName: 'orders' }, 0);
    const analysis = new TrailAnalysis(catalog, { selection, since: first.eventTime.replace('.000Z', 'Z') });
    analysis.addRecord(first, { source: 'test', index: 0 });
    expect(analysis.counts.outsideWindow).toBe(0);
    expect(analysis.analysis('role:app')?.counts.matched).toBe(1);
  });

  it('folds a principal named twice once', () => {
    const twice: PrincipalSelection = {
      selectors: [
        { kind: 'role', value: 'app' },
        { kind: 'role', value: 'app' },
      ],
      all: false,
    };
    const analysis = new TrailAnalysis(catalog, { selection: twice });
    analysis.addRecord(record('app', 'dynamodb', 'GetItem', { tableName: 'orders' }, 0), { source: 't', index: 0 });
    expect(analysis.analyses().map((a) => [a.target.key, a.counts.matched])).toEqual([['role:app', 1]]);
  });

  it('gives --all one analysis per role, whether or not records carry its path', () => {
    const withPath = record('app', 'sqs', 'ListQueues', {}, 0);
    withPath.userIdentity.sessionContext.sessionIssuer.arn = `arn:aws:iam::${account}:role/team/app`;
    const withoutPath = {
      ...record('app', 'sqs', 'ListQueues', {}, 1),
      userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${account}:assumed-role/app/s`, accountId: account },
    };
    const analysis = new TrailAnalysis(catalog, { selection: { selectors: [], all: true } });
    analysis.addRecord(withPath, { source: 't', index: 0 });
    analysis.addRecord(withoutPath, { source: 't', index: 1 });
    expect(analysis.analyses().map((a) => [a.target.key, a.counts.matched, [...a.matchedPrincipals].sort()])).toEqual([
      [
        `arn:aws:iam::${account}:role/app`,
        2,
        [`arn:aws:iam::${account}:role/app`, `arn:aws:iam::${account}:role/team/app`],
      ],
    ]);
  });

  it('chooses the same sample whatever the order, also when some events have no time', () => {
    const timed = (id: string, n: number) => ({ ...record('app', 'sqs', 'ListQueues', {}, n), eventID: id });
    const untimed = { ...timed('c', 0), eventTime: undefined };
    const orders = [
      [timed('a', 5), timed('b', 3), untimed],
      [timed('a', 5), untimed, timed('b', 3)],
      [untimed, timed('b', 3), timed('a', 5)],
    ];
    const samples = orders.map((records) => analyze(records).analyses()[0]?.granted.entries()[0]?.sampleEventId);
    expect(samples).toEqual(['b', 'b', 'b']);
  });
});

describe('mapping each distinct call once', () => {
  // The mapping cache keys on the fields the mapping reads; fields outside the key must never change a mapping.
  it('maps events that differ only outside the key the same way', () => {
    const noise = fc.record({
      principalId: fc.string(),
      userName: fc.string(),
      sourceIPAddress: fc.string(),
      userAgent: fc.string(),
      eventTime: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
      eventID: fc.uuid(),
      responseElements: fc.dictionary(fc.string(), fc.string()),
      additionalEventData: fc.dictionary(fc.string(), fc.string()),
      readOnly: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.nat(calls.length - 1), noise, (call, extra) => {
        const [source, name, params] = calls[call] ?? calls[0];
        const base = record('app', source, name, params, 1);
        const noisy = {
          ...base,
          ...extra,
          userIdentity: { ...base.userIdentity, principalId: extra.principalId, userName: extra.userName },
        };
        const a = normalizeRecord(base, { source: 'a' });
        const b = normalizeRecord(noisy, { source: 'b' });
        if (isIssue(a) || isIssue(b)) throw new Error('test events must normalize');
        expect(mapEvent(b, catalog)).toEqual(mapEvent(a, catalog));
      }),
      { numRuns: 100 },
    );
  });
});

describe('calls that differ only by the session name', () => {
  // The shortcut for repeated calls folds such calls together where readsSessionName says the name changes nothing.
  const identity = fc.record({
    type: fc.constantFrom('AssumedRole', 'IAMUser', 'FederatedUser'),
    issuer: fc.constantFrom('Role', 'User', 'none'),
    // An account id of 11 digits: the session ARN no longer names a role, so the caller is known only by it.
    account: fc.constantFrom(account, '12345678901'),
  });
  const services = [...calls, ['iam', 'GetRole', { roleName: 'app' }], ['sts', 'GetCallerIdentity', {}]] as const;

  function named(session: string, who: { type: string; issuer: string; account: string }, call: number) {
    const [source, name, params] = services[call] ?? services[0];
    const base = record('app', source, name, params, 1);
    const { sessionContext: _context, ...bare } = base.userIdentity;
    return {
      ...base,
      userIdentity: {
        ...bare,
        type: who.type,
        principalId: `AROAEXAMPLE:${session}`,
        arn: `arn:aws:sts::${who.account}:assumed-role/app/${session}`,
        ...(who.issuer === 'none'
          ? {}
          : { sessionContext: { sessionIssuer: { type: who.issuer, arn: `arn:aws:iam::${account}:role/app` } } }),
      },
    };
  }

  it('are read alike wherever readsSessionName says the name is not read', () => {
    let unread = 0;
    fc.assert(
      fc.property(identity, fc.nat(services.length - 1), (who, call) => {
        const a = normalizeRecord(named('alice', who, call), { source: 't', index: 0 });
        const b = normalizeRecord(named('bob', who, call), { source: 't', index: 0 });
        if (isIssue(a) || isIssue(b)) throw new Error('test events must normalize');
        if (readsSessionName(a)) return;
        unread += 1;
        expect(readsSessionName(b)).toBe(false);
        expect(mappingCacheKey(b)).toBe(mappingCacheKey(a));
        const read = (event: TrailEvent) => {
          const analysis = new TrailAnalysis(catalog, { selection: { selectors: [], all: true } });
          analysis.addEvent(event);
          return analysis.state();
        };
        expect(read(b)).toEqual(read(a));
      }),
      { numRuns: 200 },
    );
    expect(unread).toBeGreaterThan(0);
  });

  it.each([
    ['a role recorded as the issuer', { type: 'AssumedRole', issuer: 'Role', account }, 0, false],
    ['a call to IAM', { type: 'AssumedRole', issuer: 'Role', account }, calls.length, true],
    ['no issuer', { type: 'AssumedRole', issuer: 'none', account }, 0, true],
    ['a user as the issuer', { type: 'AssumedRole', issuer: 'User', account }, 0, true],
    ['an IAM user', { type: 'IAMUser', issuer: 'none', account }, 0, true],
  ])('%s: the name is read: %s', (_, who, call, expected) => {
    const event = normalizeRecord(named('alice', who, call), { source: 't' });
    if (isIssue(event)) throw new Error('test events must normalize');
    expect(readsSessionName(event)).toBe(expected);
  });
});

describe('calls that differ only by where they came from', () => {
  // The shortcut for repeated calls leaves the source address and user agent out of its key: nothing may read them.
  it('are read alike whatever their source address and user agent', () => {
    fc.assert(
      fc.property(fc.nat(calls.length - 1), fc.string(), fc.string(), (call, address, agent) => {
        const [source, name, params] = calls[call] ?? calls[0];
        const base = record('app', source, name, params, 1);
        const read = (raw: unknown) => {
          const analysis = new TrailAnalysis(catalog, { selection: { selectors: [], all: true } });
          analysis.addRecord(raw, { source: 't', index: 0 });
          return analysis.state();
        };
        expect(read({ ...base, sourceIPAddress: address, userAgent: agent })).toEqual(
          read({ ...base, sourceIPAddress: '203.0.113.10', userAgent: 'aws-sdk-js/3.0.0' }),
        );
      }),
      { numRuns: 100 },
    );
  });
});
