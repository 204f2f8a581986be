import type { PrincipalSelection } from '@iamgen/core';
import { TrailAnalysis } from '@iamgen/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { iamCatalog } from '../src/catalog.js';
import { FileCalls } from '../src/sources/repeated-calls.js';
import { trailEvent } from './trail-fixtures.js';

const selection: PrincipalSelection = { selectors: [], all: true };

function summary(analysis: TrailAnalysis) {
  return {
    counts: analysis.counts,
    span: analysis.span,
    principals: [...analysis.principals.values()],
    excludedFromAll: [...analysis.excludedFromAll],
    problems: analysis.problems,
    analyses: analysis.analyses().map((a) => ({
      key: a.target.key,
      counts: a.counts,
      granted: a.granted.entries(),
      deniedAccesses: a.deniedAccesses.entries(),
      denied: [...a.deniedCalls.values()],
      unmapped: [...a.unmappedPairs.values()],
      matchedPrincipals: [...a.matchedPrincipals],
      resourceUnknown: [...a.resourceUnknown],
      sawDataEvents: a.sawDataEvents,
    })),
  };
}

/** Adds the texts as the records of one file (each its own range of the file's bytes), the way files are read. */
function addFile(analysis: TrailAnalysis, texts: readonly string[], selectionKey: string): void {
  const bytes = Buffer.from(texts.join(','), 'utf8');
  const calls = new FileCalls(analysis, selectionKey, 'f', bytes);
  let start = 0;
  for (const [index, text] of texts.entries()) {
    const end = start + Buffer.byteLength(text);
    calls.add(start, end, index);
    start = end + 1;
  }
  calls.finish();
}

/** Events that repeat calls, with traps: volatile names nested in parameters, escapes, spacing, missing fields. */
const record = fc
  .record({
    role: fc.constantFrom('app', 'worker'),
    table: fc.constantFrom('orders', 'inventory'),
    second: fc.constantFrom(5, 15, 25),
    id: fc.constantFrom('a', 'b', 'c'),
    // Session names vary from call to call (instance ids, people); lengths differ too.
    session: fc.constantFrom('s1', 'i-0abc', 'alice@example.com', '', 'a:b', 'x/y', 'é'),
    // Calls come from many addresses and agents; an agent with quotes or accents stays in the key.
    agent: fc.constantFrom('aws-sdk-js/3.0.0', 'Boto3/1.34 md/"quoted"', 'curl/8 é'),
    trap: fc.constantFrom(
      'none',
      'nested-time',
      'time-in-identity',
      'escaped',
      'spaced',
      'no-id',
      'empty-id',
      'logstash',
      'denied',
      'unicode-request',
      'control-request',
      'ids-swapped',
      'key-in-params',
      'no-issuer',
      'user-issuer',
      'iam-call',
      'duplicate-arn',
    ),
  })
  .map(({ role, table, second, id, session, agent, trap }) => {
    const { eventID: _fixtureId, ...fixture } = trailEvent({
      role,
      source: trap === 'iam-call' ? 'iam' : 'dynamodb',
      name: trap === 'iam-call' ? 'GetRole' : 'GetItem',
      time: `2024-05-01T00:00:${String(second).padStart(2, '0')}Z`,
      params: trap === 'nested-time' ? { tableName: table, eventTime: `x${second}` } : { tableName: table },
      ...(trap === 'denied' ? { errorCode: 'AccessDenied', errorMessage: 'not authorized' } : {}),
    });
    // In the order CloudTrail writes them: request id, then event id.
    const event: Record<string, unknown> = {
      ...fixture,
      sourceIPAddress: `203.0.113.${second}`,
      userAgent: agent,
      requestID: `req-${second}`,
      eventID: `evt-${id}`,
    };
    if (trap === 'no-id') delete event.eventID;
    if (trap === 'unicode-request') event.requestID = `réq-${second}`;
    if (trap === 'control-request') event.requestID = `req\u0000${second}`;
    const {
      sessionContext,
      principalId: _id,
      arn: _arn,
      type,
      ...identity
    } = event.userIdentity as Record<string, unknown>;
    // As CloudTrail writes an assumed role: type, principal id and ARN first, both naming the session.
    const caller = {
      type,
      principalId: `AROAEXAMPLE:${session}`,
      // Without an issuer, a session ARN that names no role (an account id of 11 digits) is the caller itself.
      arn: `arn:aws:sts::${trap === 'no-issuer' ? '12345678901' : '123456789012'}:assumed-role/${role}/${session}`,
      ...identity,
      ...(trap === 'no-issuer'
        ? {}
        : trap === 'user-issuer'
          ? { sessionContext: { sessionIssuer: { type: 'User', arn: `arn:aws:iam::123456789012:user/${role}` } } }
          : { sessionContext }),
    };
    event.userIdentity = caller;
    // Temporary keys rotate: the same call comes with different keys, which the pipeline ignores.
    if (trap === 'key-in-params') event.requestParameters = { tableName: table, accessKeyId: `AKIA${second}` };
    else event.userIdentity = { ...caller, accessKeyId: `ASIA${second}` };
    if (trap === 'ids-swapped') {
      // eventID before requestID: not the order CloudTrail writes them in.
      const { requestID } = event;
      delete event.requestID;
      event.requestID = requestID;
    }
    if (trap === 'empty-id') event.eventID = '';
    // Logstash exports: no eventTime (or an empty one), the time in @timestamp.
    if (trap === 'logstash') {
      event['@timestamp'] = event.eventTime;
      event.eventTime = second === 5 ? '' : undefined;
    }
    // A volatile name before the real one: the first occurrence is not the record's own time.
    if (trap === 'time-in-identity') event.userIdentity = { eventTime: 'x', ...(event.userIdentity as object) };
    let text = JSON.stringify(event);
    if (trap === 'escaped') text = text.replace('"eventTime"', '"event\\u0054ime"');
    if (trap === 'spaced') text = text.replace('"eventTime":', '"eventTime": ');
    // A second ARN in the identity: JSON.parse keeps the last, and the first is the one cut.
    if (trap === 'duplicate-arn')
      text = text.replace('"accountId":', `"arn":"arn:aws:sts::1:assumed-role/${role}/x","accountId":`);
    return text;
  });

describe('FileCalls', () => {
  it('folds raw records exactly as parsing each of them would', () => {
    const catalog = iamCatalog();
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), fc.string(), (texts, run) => {
        const fast = new TrailAnalysis(catalog, { selection, since: '2024-05-01T00:00:10Z' });
        const plain = new TrailAnalysis(catalog, { selection, since: '2024-05-01T00:00:10Z' });
        // Files of a few records: calls are folded per file and remembered across files.
        for (let first = 0; first < texts.length; first += 7) {
          // A fresh selection key per run, so calls remembered by earlier runs cannot hide a difference.
          addFile(fast, texts.slice(first, first + 7), `${run}${texts.length}`);
        }
        for (const [index, text] of texts.entries())
          plain.addRecord(JSON.parse(text), { source: 'f', index: index % 7 });
        expect(summary(fast)).toEqual(summary(plain));
      }),
      { numRuns: 150 },
    );
  });
});

describe('FileCalls on text JSON.parse refuses', () => {
  it('refuses it even when the same call was remembered', () => {
    const catalog = iamCatalog();
    const analysis = new TrailAnalysis(catalog, { selection });
    const good = JSON.stringify({ ...trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }), eventID: 'e1' });
    addFile(analysis, [good, good.replace('"e1"', '"e2"')], 'raw-control');
    // A raw tab inside a string is not JSON.
    expect(() => addFile(analysis, [good.replace('"e1"', '"e\t3"')], 'raw-control')).toThrow();
  });
});

describe('FileCalls where calls do not repeat', () => {
  it('rests the shortcut and still folds every record as parsing would', () => {
    const catalog = iamCatalog();
    const fast = new TrailAnalysis(catalog, { selection });
    const plain = new TrailAnalysis(catalog, { selection });
    // Every record a different table: no call comes back, so after a window the shortcut stops trying.
    const texts = Array.from({ length: 4_500 }, (_, index) =>
      JSON.stringify(
        trailEvent({ role: 'app', source: 'dynamodb', name: 'GetItem', params: { tableName: `t${index % 4_000}` } }),
      ),
    );
    addFile(fast, texts, 'no-repeats');
    for (const [index, text] of texts.entries()) plain.addRecord(JSON.parse(text), { source: 'f', index });
    expect(summary(fast)).toEqual(summary(plain));
  });
});

describe('FileCalls on a call that repeats', () => {
  it('parses it once, whatever the lengths of its request ids, access keys and times', () => {
    const catalog = iamCatalog();
    const analysis = new TrailAnalysis(catalog, { selection });
    const { eventID: _id, ...fixture } = trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' });
    const texts = ['1', '22', '333', '4444'].map((n, i) => {
      const identity = { ...(fixture.userIdentity as object), accessKeyId: `ASIA${n}` };
      return JSON.stringify({
        ...fixture,
        userIdentity: identity,
        eventTime: `2024-05-0${i + 1}T00:00:00${i === 3 ? '.5' : ''}Z`,
        requestID: `req-${n}`,
        eventID: `evt-${n}`,
      });
    });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      addFile(analysis, texts, 'repeats-of-any-length');
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
    const [entry] = analysis.analyses()[0]?.granted.entries() ?? [];
    expect(entry).toMatchObject({
      count: 4,
      firstSeen: '2024-05-01T00:00:00.000Z',
      lastSeen: '2024-05-04T00:00:00.500Z',
      sampleEventId: 'evt-1',
    });
  });
});

describe('FileCalls on calls that differ only by the session name', () => {
  function caller(session: string, issuer: 'Role' | 'User' | 'none', account = '123456789012') {
    return {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE:${session}`,
      arn: `arn:aws:sts::${account}:assumed-role/app/${session}`,
      accountId: '123456789012',
      ...(issuer === 'none'
        ? {}
        : { sessionContext: { sessionIssuer: { type: issuer, arn: 'arn:aws:iam::123456789012:role/app' } } }),
    };
  }

  it.each([
    ['a role recorded as the issuer', 'Role', '123456789012', 'dynamodb', 1],
    ['no issuer, an ARN that names no role', 'none', '12345678901', 'dynamodb', 3],
    ['a user as the issuer', 'User', '123456789012', 'dynamodb', 3],
    ['a call to IAM', 'Role', '123456789012', 'iam', 3],
  ] as const)(
    '%s: read as parsing every record reads it, folded only where the name is not read',
    (_, issuer, account, source, parses) => {
      const catalog = iamCatalog();
      // Loads the services' catalog entries first, so the count below is of records only.
      new TrailAnalysis(catalog, { selection }).addRecord(trailEvent({ role: 'app', source, name: 'GetRole' }), {
        source: 'warm-up',
      });
      // The last call comes back in the first session: where the name is read, only that one folds.
      const texts = ['s1', 'i-0abc', 'alice@example.com', 's1'].map((session, n) =>
        JSON.stringify({
          eventVersion: '1.09',
          userIdentity: caller(session, issuer, account),
          eventTime: `2024-05-01T00:00:0${n}Z`,
          eventSource: `${source}.amazonaws.com`,
          eventName: source === 'iam' ? 'GetRole' : 'GetItem',
          requestParameters: source === 'iam' ? { roleName: 'app' } : { tableName: 'orders' },
          eventID: `evt-${n}`,
        }),
      );
      const fast = new TrailAnalysis(catalog, { selection });
      const plain = new TrailAnalysis(catalog, { selection });
      const parse = vi.spyOn(JSON, 'parse');
      try {
        addFile(fast, texts, `sessions-${issuer}-${account}-${source}`);
        expect(parse).toHaveBeenCalledTimes(parses);
      } finally {
        parse.mockRestore();
      }
      for (const [index, text] of texts.entries()) plain.addRecord(JSON.parse(text), { source: 'f', index });
      expect(summary(fast)).toEqual(summary(plain));
    },
  );
});
