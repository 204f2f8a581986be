import { describe, expect, it } from 'vitest';
import type { VitestJsonReport } from '../src/reliability/table.js';
import { reliabilityRows, renderReliabilityTable } from '../src/reliability/table.js';

const meta = (area: string, fault: string) => ({
  reliability: { area, fault, produced: 'made | so', expected: 'one line' },
});

const report: VitestJsonReport = {
  testResults: [
    {
      name: '/repo/packages/cli/test/b.test.ts',
      assertionResults: [
        { title: '[reliability] fault test', status: 'failed', meta: meta('fault', 'S3 503') },
        { title: 'plain test', status: 'passed' },
        { title: 'metadata but no marker', status: 'passed', meta: meta('fault', 'x') },
      ],
    },
    {
      name: '/repo/packages/cli/test/a.test.ts',
      assertionResults: [
        { title: '[reliability] gzip bomb', status: 'passed', meta: meta('input', 'gzip bomb') },
        { title: '[reliability] custom', status: 'skipped', meta: meta('zzz', 'other') },
      ],
    },
  ],
};

describe('reliability table', () => {
  it('keeps marked tests with metadata, in area order, with their results', () => {
    const rows = reliabilityRows(report, '/repo');
    expect(rows.map((r) => [r.area, r.test, r.file, r.result])).toEqual([
      ['input', 'gzip bomb', 'packages/cli/test/a.test.ts', 'pass'],
      ['fault', 'fault test', 'packages/cli/test/b.test.ts', 'FAIL'],
      ['zzz', 'custom', 'packages/cli/test/a.test.ts', 'skipped'],
    ]);
  });

  it('renders one table per area and escapes pipes in cells', () => {
    const text = renderReliabilityTable(reliabilityRows(report, '/repo'), ['A note.']);
    expect(text).toContain('generated this page: 1 of 3 passed');
    expect(text).toContain('\nA note.\n');
    expect(text).toContain('## Hostile input files');
    expect(text).toContain('| gzip bomb | made \\| so | one line | gzip bomb (`packages/cli/test/a.test.ts`) | pass |');
    expect(text.indexOf('## AWS faults')).toBeLessThan(text.indexOf('## zzz'));
    expect(text.endsWith('|\n')).toBe(true);
  });
});
