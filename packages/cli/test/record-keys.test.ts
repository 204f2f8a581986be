import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { noKeyNotPlain, noKeyWithoutTime, RecordKeys, unknownKey } from '../src/sources/record-keys.js';

const fields = ['accessKeyId', 'creationDate', 'eventTime', 'sourceIPAddress', 'userAgent', 'requestID', 'eventID'];
const keptWhenNotPlain = new Set(['sourceIPAddress', 'userAgent']);

type Reference = { readonly code: number } | { readonly key: string; readonly regions: readonly number[][] };

/** Where the plain value from `start` ends (its closing quote), or -1: the rule the module applies, as plain code. */
function plainEnd(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
  }
  return -1;
}

/** The session's name after the principal id's colon and the ARN's last slash, as CloudTrail opens a role's call. */
function sessionRegions(text: string): number[][] {
  const version = '{"eventVersion":"';
  const role = '","userIdentity":{"type":"AssumedRole","principalId":"';
  if (!text.startsWith(version)) return [];
  const versionEnd = text.indexOf('"', version.length);
  if (versionEnd === -1 || !text.startsWith(role, versionEnd)) return [];
  const idStart = versionEnd + role.length;
  const idEnd = text.indexOf('"', idStart);
  if (idEnd === -1 || !text.startsWith('","arn":"', idEnd)) return [];
  const colon = text.indexOf(':', idStart);
  const arnStart = idEnd + 9;
  const arnEnd = text.indexOf('"', arnStart);
  const slash = arnEnd === -1 ? -1 : text.lastIndexOf('/', arnEnd);
  if (colon === -1 || colon > idEnd || slash < arnStart) return [];
  if (plainEnd(text, colon + 1) !== idEnd || plainEnd(text, slash + 1) !== arnEnd) return [];
  return [
    [colon + 1, idEnd],
    [slash + 1, arnEnd],
  ];
}

/** The key by definition: the text without each field's first value (and the session's name), and their places. */
function reference(text: string, cutSession: boolean): Reference {
  const regions: number[][] = [];
  for (const [field, name] of fields.entries()) {
    const opening = `"${name}":"`;
    const at = text.indexOf(opening);
    const end = at === -1 ? -1 : plainEnd(text, at + opening.length);
    if (at !== -1 && end === -1 && !keptWhenNotPlain.has(name)) return { code: noKeyNotPlain };
    regions[field] = at === -1 || end === -1 ? [-1, -1] : [at + opening.length, end];
  }
  const [timeStart, timeEnd] = regions[fields.indexOf('eventTime')] ?? [];
  if (timeStart === -1 || timeStart === timeEnd) return { code: noKeyWithoutTime };
  const session = cutSession ? sessionRegions(text) : [];
  const all = [
    ...regions,
    ...(session.length > 0
      ? session
      : [
          [-1, -1],
          [-1, -1],
        ]),
  ];
  const order = all.map((_, i) => i).filter((i) => (all[i]?.[0] ?? -1) !== -1);
  order.sort((a, b) => (all[a]?.[0] ?? 0) - (all[b]?.[0] ?? 0));
  const places = all.map(() => -1);
  let kept = '';
  let piece = 0;
  for (const i of order) {
    const [start = 0, end = 0] = all[i] ?? [];
    kept += text.slice(piece, start);
    places[i] = kept.length;
    piece = end;
  }
  kept += text.slice(piece);
  return { key: `${kept}\u0000${places.join(',')}`, regions: all };
}

function regionsOf(keys: RecordKeys): number[][] {
  return Array.from({ length: fields.length + 2 }, (_, region) => [keys.start(region), keys.end(region)]);
}

/** One lookup of each text in a fresh memory, remembering each unknown key: the index found for each text. */
function lookups(keys: RecordKeys, texts: readonly string[], cutSession: boolean): number[] {
  keys.forget();
  let remembered = 0;
  return texts.map((text) => {
    const bytes = Buffer.from(text, 'latin1');
    const found = keys.lookup(bytes, 0, bytes.length, cutSession);
    if (found === unknownKey) expect(keys.remember(remembered++)).toBe(true);
    return found;
  });
}

/** What `lookups` must give, from the reference keys. */
function expectedLookups(texts: readonly string[], cutSession: boolean): number[] {
  const known = new Map<string, number>();
  return texts.map((text) => {
    const ref = reference(text, cutSession);
    if ('code' in ref) return ref.code;
    const index = known.get(ref.key);
    if (index !== undefined) return index;
    known.set(ref.key, known.size);
    return unknownKey;
  });
}

const opening = (name: string) => `"${name}":"`;
/** Pieces of records, with traps: near-miss names, values that are not plain, session openings, repeated fields. */
const piece = fc.oneof(
  fc.constantFrom(...fields.map(opening)),
  fc.constantFrom(
    '{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA:',
    '","arn":"arn:aws:sts::1:assumed-role/app/',
    '"principalID":"',
    '"xeventID":"',
    'ventID":"',
    '"eventID":',
    '"eventTime": "',
    '":"',
    '"',
    '","',
    '/',
    ':',
    '\\',
    '\\"',
    '\u00e9',
    '\t',
    '\u007f',
    '2024-05-01T00:00:00Z',
    'evt-1',
    'evt-22',
  ),
  fc.string({ maxLength: 6 }),
);
/** As the module sees it: one byte per character. */
const text = fc
  .array(piece, { maxLength: 14 })
  .map((pieces) => Buffer.from(pieces.join(''), 'latin1').toString('latin1'));

describe('RecordKeys', () => {
  const keys = new RecordKeys(fields, 'eventTime', keptWhenNotPlain);
  const weak = new RecordKeys(fields, 'eventTime', keptWhenNotPlain);
  weak.weakenHash();

  it.each([
    ['no time', '{"eventID":"e1"}', noKeyWithoutTime],
    ['an empty time', '{"eventTime":"","eventID":"e1"}', noKeyWithoutTime],
    ['an id with a backslash', '{"eventTime":"t","eventID":"e\\u0031"}', noKeyNotPlain],
    ['an id with a raw tab', '{"eventTime":"t","eventID":"e\t1"}', noKeyNotPlain],
    ['an id with an accent', '{"eventTime":"t","eventID":"\u00e9"}', noKeyNotPlain],
    ['an agent with a quote, kept in the key', '{"eventTime":"t","userAgent":"a\\"b"}', unknownKey],
  ])('gives records with %s no key of their own', (_, record, code) => {
    expect(lookups(keys, [record], true)).toEqual([code]);
  });

  it.each([
    ['the id and the time differ', ['{"eventTime":"t1","eventID":"a"}', '{"eventTime":"t22","eventID":"bb"}'], [-1, 0]],
    ['a byte after the last value differs', ['{"eventTime":"t","x":1}', '{"eventTime":"t","x":2}'], [-1, -1]],
    ['a byte before the first value differs', ['{"a":1,"eventTime":"t"}', '{"a":2,"eventTime":"t"}'], [-1, -1]],
    [
      'values move between fields: the same call',
      ['{"eventTime":"t","requestID":"","eventID":"x"}', '{"eventTime":"t","requestID":"x","eventID":""}'],
      [-1, 0],
    ],
    [
      'agents that are not plain differ',
      ['{"eventTime":"t","userAgent":"\u00e9a"}', '{"eventTime":"t","userAgent":"\u00e9b"}'],
      [-1, -1],
    ],
  ])('tells records apart exactly where %s', (_, texts, expected) => {
    expect(lookups(keys, texts, true)).toEqual(expected);
    expect(lookups(weak, texts, true)).toEqual(expected);
  });

  it('cuts the session name only when asked, and an empty name is still a cut of its own', () => {
    const open = '{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA:';
    const record = (session: string) =>
      `${open}${session}","arn":"arn:aws:sts::1:assumed-role/app/${session}"},"eventTime":"t"}`;
    const texts = [record(''), record('s1')];
    expect(lookups(keys, texts, true)).toEqual([-1, 0]);
    expect(lookups(keys, texts, false)).toEqual([-1, -1]);
    // The key of an empty session name, cut, is not the key of the same record uncut, even where they hash alike.
    for (const memory of [keys, weak]) {
      memory.forget();
      const bytes = Buffer.from(record(''), 'latin1');
      expect(memory.lookup(bytes, 0, bytes.length, true)).toBe(unknownKey);
      expect(memory.sessionCut()).toBe(true);
      memory.remember(0);
      expect(memory.lookup(bytes, 0, bytes.length, false)).toBe(unknownKey);
      expect(memory.sessionCut()).toBe(false);
    }
  });

  it('cuts what the plain reference cuts, and finds a key exactly when the reference keys are equal', () => {
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 6 }), fc.boolean(), (texts, cutSession) => {
        for (const record of texts) {
          const ref = reference(record, cutSession);
          const bytes = Buffer.from(record, 'latin1');
          const found = keys.lookup(bytes, 0, bytes.length, cutSession);
          if ('code' in ref) expect(found).toBe(ref.code);
          else expect(regionsOf(keys)).toEqual(ref.regions);
        }
        const expected = expectedLookups(texts, cutSession);
        expect(lookups(keys, texts, cutSession)).toEqual(expected);
        expect(lookups(weak, texts, cutSession)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('finds records in any part of a larger buffer, and reads a buffer reused for the next file anew', () => {
    const call = (name: string, id: string) => `{"eventTime":"t","eventName":"${name}","eventID":"${id}"}`;
    const file = Buffer.from(`[${call('C', 'e1')},${call('A', 'e2')}]`, 'latin1');
    const length = call('C', 'e1').length;
    keys.forget();
    keys.nextFile();
    expect(keys.lookup(file, 1, 1 + length, true)).toBe(unknownKey);
    keys.remember(0);
    expect(keys.lookup(file, 2 + length, 2 + 2 * length, true)).toBe(unknownKey);
    keys.remember(1);
    // The thread's buffer, holding the next file: where C was, A is now.
    file.write(`[${call('A', 'e3')},${call('C', 'e4')}]`, 0, 'latin1');
    keys.nextFile();
    expect(keys.lookup(file, 1, 1 + length, true)).toBe(1);
    expect(keys.lookup(file, 2 + length, 2 + 2 * length, true)).toBe(0);
  });
});
