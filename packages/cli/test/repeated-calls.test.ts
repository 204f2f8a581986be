import type { PrincipalSelection } from '@iamgen/core';
import { TrailAnalysis } from '@iamgen/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iamCatalog } from '../src/catalog.js';
import { addRecordText } from '../src/sources/repeated-calls.js';
import { trailEvent } from './trail-fixtures.js';

const selection: PrincipalSelection = { selectors: [], all: true };

function summary(analysis: TrailAnalysis) {
  return {
    counts: analysis.counts,
    span: analysis.span,
    principals: [...analysis.principals.values()],
    analyses: analysis.analyses().map((a) => ({
      key: a.target.key,
      counts: a.counts,
      granted: a.granted.entries(),
      denied: [...a.deniedCalls.values()],
      unmapped: [...a.unmappedPairs.values()],
    })),
  };
}

/** Events that repeat calls, with traps: volatile names nested in parameters, escapes, spacing, missing fields. */
const record = fc
  .record({
    role: fc.constantFrom('app', 'worker'),
    table: fc.constantFrom('orders', 'inventory'),
    second: fc.constantFrom(5, 15, 25),
    id: fc.constantFrom('a', 'b', 'c'),
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
    ),
  })
  .map(({ role, table, second, id, trap }) => {
    const event: Record<string, unknown> = {
      ...trailEvent({
        role,
        source: 'dynamodb',
        name: 'GetItem',
        time: `2024-05-01T00:00:${String(second).padStart(2, '0')}Z`,
        params: trap === 'nested-time' ? { tableName: table, eventTime: `x${second}` } : { tableName: table },
        ...(trap === 'denied' ? { errorCode: 'AccessDenied', errorMessage: 'not authorized' } : {}),
      }),
      eventID: `evt-${id}`,
      requestID: `req-${second}`,
    };
    if (trap === 'no-id') delete event.eventID;
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
    return text;
  });

describe('addRecordText', () => {
  it('folds raw records exactly as parsing each of them would', () => {
    const catalog = iamCatalog();
    fc.assert(
      fc.property(fc.array(record, { maxLength: 40 }), fc.string(), (texts, run) => {
        const fast = new TrailAnalysis(catalog, { selection, since: '2024-05-01T00:00:10Z' });
        const plain = new TrailAnalysis(catalog, { selection, since: '2024-05-01T00:00:10Z' });
        for (const [index, text] of texts.entries()) {
          // A fresh selection key per run, so calls remembered by earlier runs cannot hide a difference.
          addRecordText(fast, text, { source: 'f', index }, `${run}${texts.length}`);
          plain.addRecord(JSON.parse(text), { source: 'f', index });
        }
        expect(summary(fast)).toEqual(summary(plain));
      }),
      { numRuns: 150 },
    );
  });
});

describe('addRecordText on text JSON.parse refuses', () => {
  it('refuses it even when the same call was remembered', () => {
    const catalog = iamCatalog();
    const analysis = new TrailAnalysis(catalog, { selection });
    const good = JSON.stringify({ ...trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }), eventID: 'e1' });
    addRecordText(analysis, good, { source: 'f', index: 0 }, 'raw-control');
    addRecordText(analysis, good.replace('"e1"', '"e2"'), { source: 'f', index: 1 }, 'raw-control');
    // A raw tab inside a string is not JSON.
    expect(() =>
      addRecordText(analysis, good.replace('"e1"', '"e\t3"'), { source: 'f', index: 2 }, 'raw-control'),
    ).toThrow();
  });
});

describe('addRecordText where calls do not repeat', () => {
  it('rests the shortcut and still folds every record as parsing would', () => {
    const catalog = iamCatalog();
    const fast = new TrailAnalysis(catalog, { selection });
    const plain = new TrailAnalysis(catalog, { selection });
    // Every record a different table: no call comes back, so after a window the shortcut stops trying.
    for (let index = 0; index < 4_500; index++) {
      const text = JSON.stringify(
        trailEvent({ role: 'app', source: 'dynamodb', name: 'GetItem', params: { tableName: `t${index % 4_000}` } }),
      );
      addRecordText(fast, text, { source: 'f', index }, 'no-repeats');
      plain.addRecord(JSON.parse(text), { source: 'f', index });
    }
    expect(summary(fast)).toEqual(summary(plain));
  });
});
