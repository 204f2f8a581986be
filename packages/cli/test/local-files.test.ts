import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listLocalLogFiles } from '../src/sources/local-files.js';
import { folderMayHoldWindow } from '../src/sources/log-content.js';
import { parseTimeBound } from '../src/time-window.js';

describe('folderMayHoldWindow', () => {
  const base = 'logs/AWSLogs/123456789012/CloudTrail/eu-west-1';
  const window = { since: '2024-05-10T00:00:00.000Z', until: '2024-06-01T00:00:00.000Z' };
  it.each([
    [`${base}/2024`, true],
    [`${base}/2023`, false],
    [`${base}/2024/04`, false],
    [`${base}/2024/05`, true],
    [`${base}/2024/05/09`, false],
    [`${base}/2024/05/10`, true],
    // Delivered on the first day after the window, may still hold events from its last minutes.
    [`${base}/2024/06/01`, true],
    [`${base}/2024/06/02`, false],
    ['logs/AWSLogs/o-abc123/123456789012/CloudTrail/eu-west-1/2024/04/30', false],
    ['logs/some/other/2023/01/01', true],
  ])('%s → %s', (path, expected) => {
    expect(folderMayHoldWindow(path, window)).toBe(expected);
  });

  it('keeps every folder without a window', () => {
    expect(folderMayHoldWindow(`${base}/1999/01/01`, {})).toBe(true);
  });
});

describe('parseTimeBound', () => {
  const now = new Date('2024-06-01T00:00:00Z');
  it.each([
    ['90d', '2024-03-03T00:00:00.000Z'],
    ['12h', '2024-05-31T12:00:00.000Z'],
    ['30m', '2024-05-31T23:30:00.000Z'],
    ['2w', '2024-05-18T00:00:00.000Z'],
    ['2024-01-15', '2024-01-15T00:00:00.000Z'],
    ['2024-01-15T10:00:00+02:00', '2024-01-15T08:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    // The day is checked as written; the offset may move it to another day in UTC.
    ['2024-03-01T00:30:00+01:00', '2024-02-29T23:30:00.000Z'],
  ])('%s → %s', (value, expected) => {
    expect(parseTimeBound('since', value, now)).toBe(expected);
  });

  it.each(['yesterday', '90', '2024-13-45', '', '2024-02-30', '2023-02-29', '2024-04-31T00:00:00Z'])(
    'rejects %j as a usage error',
    (value) => {
      expect(() => parseTimeBound('since', value, now)).toThrow(/--since/);
    },
  );
});

describe('listLocalLogFiles', () => {
  it('reads a file named twice (its folder, then itself) once, and reports the second path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'iamgen-twice-'));
    try {
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'sub', 'a.json'), '{"Records":[]}');
      await writeFile(join(dir, 'sub', 'b.json'), '{"Records":[]}');
      const found = [];
      for await (const file of listLocalLogFiles([join(dir, 'sub'), join(dir, 'sub', 'a.json')], {
        displayRoot: dir,
      })) {
        found.push([file.display, file.problem]);
      }
      expect(found).toEqual([
        ['sub/a.json', undefined],
        ['sub/b.json', undefined],
        ['sub/a.json', 'second path to a file already read; not read again'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
