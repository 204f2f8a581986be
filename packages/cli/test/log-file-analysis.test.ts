import { mayBelongToSelection, prefilterNeedles, TrailAnalysis } from '@iamgen/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iamCatalog } from '../src/catalog.js';
import { analyzeLogFile, deliveredRecordRanges, indexOfMarker, isBalanced } from '../src/sources/log-file-analysis.js';
import { trailEvent } from './trail-fixtures.js';

const records = [
  trailEvent({ role: 'app', source: 'sqs', name: 'SendMessage', params: { queueUrl: 'https://x/1/q' } }),
  trailEvent({ role: 'app-2', source: 'sqs', name: 'SendMessage', params: { queueUrl: 'https://x/1/q' } }),
  trailEvent({ role: 'other', source: 's3', name: 'ListBuckets' }),
];

describe('deliveredRecordRanges', () => {
  it('splits the delivered layout into the records, without parsing', () => {
    const bytes = Buffer.from(JSON.stringify({ Records: records }));
    const ranges = deliveredRecordRanges(bytes) ?? [];
    expect(ranges.map(([start, end]) => JSON.parse(bytes.toString('utf8', start, end)))).toEqual(records);
  });

  it.each([
    ['pretty-printed', JSON.stringify({ Records: records }, null, 2)],
    ['a bare array', JSON.stringify(records)],
    ['keys in another order', JSON.stringify({ Records: [{ eventSource: 'x', eventVersion: '1' }] })],
  ])('declines %s', (_, text) => {
    expect(deliveredRecordRanges(Buffer.from(text))).toBeUndefined();
  });

  it('reads an empty Records list as no records', () => {
    expect(deliveredRecordRanges(Buffer.from('{"Records":[]}\n'))).toEqual([]);
  });
});

describe('analyzeLogFile', () => {
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('counts records of other principals without parsing them, and maps the selected one', async () => {
    const catalog = iamCatalog();
    const state = analyzeLogFile({ name: 'a.json', display: 'a.json', content: json({ Records: records }) }, catalog, {
      selection: { selectors: [{ kind: 'role', value: 'app' }], all: false },
    });
    expect(state.counts).toMatchObject({ recordsRead: 3, prefiltered: 2 });
    expect(state.analyses.map((a) => [a.target.key, a.counts.matched])).toEqual([['role:app', 1]]);
  });

  it('falls back to a full parse when a split lands inside a nested value', async () => {
    const catalog = iamCatalog();
    // A record that carries event-shaped objects in a nested array: the marker occurs outside any string.
    const nested = {
      ...trailEvent({ role: 'app', source: 'sqs', name: 'SendMessage', params: { queueUrl: 'https://x/1/q' } }),
      eventVersion: '1.09',
    };
    const tricky = { eventVersion: '1.09', ...nested, requestParameters: { items: [{ a: 1 }, { eventVersion: '2' }] } };
    const text = JSON.stringify({ Records: [tricky] });
    expect(text).toContain('},{"eventVersion":');
    const state = analyzeLogFile(
      { name: 'a.json', display: 'a.json', content: new TextEncoder().encode(text) },
      catalog,
      {
        selection: { selectors: [{ kind: 'role', value: 'app' }], all: false },
      },
    );
    expect(state.counts).toMatchObject({ recordsRead: 1, prefiltered: 0, malformedRecords: 0 });
    expect(state.analyses[0]?.counts.matched).toBe(1);
  });
});

describe('isBalanced', () => {
  it.each([
    ['{"a":[1,{"b":2}]}', true],
    ['{"a":"}]"}', true],
    ['{"a":"\\"}"}', true],
    ['{"a":[{"b":1}', false],
    ['{"b":2}]}', false],
    ['{"a":"\\\\"}', true],
  ])('%s → %s', (text, expected) => {
    expect(isBalanced(Buffer.from(text), 0, Buffer.byteLength(text))).toBe(expected);
  });
});

describe('a record that embeds event-shaped objects', () => {
  it('is never taken for records of its own', async () => {
    const catalog = iamCatalog();
    // An array nested in another principal's record holds objects that look like events of the selected role.
    const embedded = trailEvent({
      role: 'app',
      source: 'sqs',
      name: 'SendMessage',
      params: { queueUrl: 'https://x/1/q' },
    });
    const outer = { ...trailEvent({ role: 'other', source: 's3', name: 'ListBuckets' }) };
    const host = {
      eventVersion: '1.09',
      ...outer,
      requestParameters: { items: [{ a: 1 }, embedded, { eventVersion: '0', b: 2 }] },
    };
    const text = JSON.stringify({ Records: [host] });
    // Split there, the embedded object alone parses, and the pieces around it do not name the role.
    expect(text.split('},{"eventVersion":').length).toBe(3);
    const state = analyzeLogFile(
      { name: 'a.json', display: 'a.json', content: new TextEncoder().encode(text) },
      catalog,
      {
        selection: { selectors: [{ kind: 'role', value: 'app' }], all: false },
      },
    );
    expect(state.counts.recordsRead).toBe(1);
    expect(state.analyses[0]?.counts.matched).toBe(0);
  });
});

describe('record counts around an array of event-shaped objects', () => {
  it('count each record once, whether a selected principal is in the file or not', () => {
    const nested = {
      eventVersion: '1.09',
      requestParameters: { items: [{ a: 1 }, { eventVersion: '0' }, { eventVersion: '1' }] },
    };
    const host = { ...trailEvent({ role: 'other', source: 's3', name: 'ListBuckets' }), ...nested };
    const text = JSON.stringify({ Records: [host, trailEvent({ role: 'other', source: 's3', name: 'ListBuckets' })] });
    for (const role of ['app', 'other']) {
      const state = analyzeLogFile(
        { name: 'a.json', display: 'a.json', content: new TextEncoder().encode(text) },
        iamCatalog(),
        {
          selection: { selectors: [{ kind: 'role', value: role }], all: false },
        },
      );
      expect(state.counts.recordsRead).toBe(2);
    }
  });
});

describe('records with multi-byte characters', () => {
  it('are cut and decoded at the same places as in the text', () => {
    const records = [
      trailEvent({
        role: 'app',
        source: 's3',
        name: 'GetObject',
        params: { bucketName: 'b', key: 'café/naïve-😀.txt' },
      }),
      trailEvent({ role: 'other', source: 's3', name: 'GetObject', params: { bucketName: 'b', key: 'ünïcode/ß.txt' } }),
      trailEvent({
        role: 'app',
        source: 's3',
        name: 'GetObject',
        params: { bucketName: 'b', key: 'データ/ファイル.csv' },
      }),
    ];
    const state = analyzeLogFile(
      { name: 'a.json', display: 'a.json', content: new TextEncoder().encode(JSON.stringify({ Records: records })) },
      iamCatalog(),
      { selection: { selectors: [{ kind: 'role', value: 'app' }], all: false } },
    );
    expect(state.counts).toMatchObject({ recordsRead: 3, prefiltered: 1 });
    expect(state.analyses[0]?.granted.map(([, entry]) => entry.access.resource).sort()).toEqual([
      'arn:aws:s3:::b/café/naïve-😀.txt',
      'arn:aws:s3:::b/データ/ファイル.csv',
    ]);
  });
});

describe('the prefilter of a delivered file', () => {
  const roles = ['app', 'app-2', 'my-app', 'apps', 'service/app', 'app/x', 'other'];
  const selectors = ['app', 'app*', 'my-*', 'arn:aws:iam::123456789012:role/app', 'apps'];

  /** A record of the role, its text possibly spelled with escaped slashes or `\u` escapes, as JSON allows. */
  const recordText = fc
    .record({ role: fc.constantFrom(...roles), spelling: fc.constantFrom('plain', 'escaped-slash', 'unicode') })
    .map(({ role, spelling }) => {
      const text = JSON.stringify(trailEvent({ role, source: 'sqs', name: 'ListQueues' }));
      if (spelling === 'escaped-slash') return text.replaceAll('/', '\\/');
      if (spelling === 'unicode') return text.replaceAll('"app', '"\\u0061pp');
      return text;
    });

  it('skips exactly the records whose text cannot name a selected principal, and reads the rest as a full parse', () => {
    const catalog = iamCatalog();
    fc.assert(
      fc.property(
        fc.array(recordText, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(...selectors),
        (texts, value) => {
          const selection = { selectors: [{ kind: 'role' as const, value }], all: false };
          const content = Buffer.from(`{"Records":[${texts.join(',')}]}`);
          const state = analyzeLogFile({ name: 'f.json', display: 'f.json', content }, catalog, { selection });
          const needles = prefilterNeedles(selection);
          const skipped = texts.filter((text) => !mayBelongToSelection(Buffer.from(text), needles)).length;
          expect(state.counts.prefiltered).toBe(skipped);
          const parsed = new TrailAnalysis(catalog, { selection });
          for (const [index, text] of texts.entries()) parsed.addRecord(JSON.parse(text), { source: 'f.json', index });
          expect(state.analyses.map((a) => [a.target.key, a.counts, a.granted])).toEqual(
            parsed.state().analyses.map((a) => [a.target.key, a.counts, a.granted]),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('indexOfMarker', () => {
  it('finds what indexOf finds for the record marker, from any position', () => {
    const marker = '},{"eventVersion":';
    // Pieces that make near misses: parts of the marker, other V's, the marker cut at either end.
    const piece = fc.constantFrom(marker, marker.slice(1), marker.slice(0, -1), 'V', 'tlsVersion":', '},{"event', 'x');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.nat(200), (pieces, from) => {
        const bytes = Buffer.from(pieces.join(''));
        expect(indexOfMarker(bytes, from)).toBe(bytes.indexOf(marker, from));
      }),
      { numRuns: 500 },
    );
  });
});
