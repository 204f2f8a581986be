import { describe, expect, it } from 'vitest';
import { renderExplanationMarkdown } from '../explain.js';
import { codeSpan, markdownText } from './markdown.js';

describe('codeSpan', () => {
  it.each([
    ['arn:aws:s3:::bucket/key', '`arn:aws:s3:::bucket/key`'],
    ['a`b', '``a`b``'],
    ['``x', '``` ``x ```'],
    ['x`', '`` x` ``'],
    ['</details><img src=x onerror=alert(1)>', '`</details><img src=x onerror=alert(1)>`'],
    ['line\nbreak\r', '`line\\u000abreak\\u000d`'],
    ['\u202egnp.exe', '`\\u202egnp.exe`'],
  ])('%j → %s', (text, span) => {
    expect(codeSpan(text)).toBe(span);
  });
});

describe('markdownText', () => {
  it.each([
    ['s3', 's3'],
    ['[click](x)', '\\[click\\](x)'],
    ['arn:aws:s3:::b/k-1.json', 'arn:aws:s3:::b/k-1.json'],
    ['@team *bold* <b>| &amp;', '\\@team \\*bold\\* \\<b\\>\\| \\&amp;'],
  ])('%j → %s', (text, escaped) => {
    expect(markdownText(text)).toBe(escaped);
  });
});

describe('evidence Markdown from hostile logs', () => {
  it('keeps event ids and resources inside their cells and code spans', () => {
    const text = renderExplanationMarkdown('Evidence', [
      {
        document: 1,
        sid: 'S3Read',
        actions: ['s3:GetObject'],
        resources: ['arn:aws:s3:::b/`<img src=x onerror=alert(1)>`'],
        events: 1,
        samples: [
          {
            action: 's3:GetObject',
            resource: 'arn:aws:s3:::b/x|y',
            events: 1,
            sampleEventId: 'id | <script>alert(1)</script>\n# @org/team',
          },
        ],
        generalizations: [],
      },
    ]);
    expect(text).toContain('- Resources: `` arn:aws:s3:::b/`<img src=x onerror=alert(1)>` ``');
    const row = text.split('\n').find((line) => line.startsWith('| s3:GetObject'));
    expect(row).toBe(
      '| s3:GetObject | arn:aws:s3:::b/x\\|y | 1 |  |  | id \\| \\<script\\>alert(1)\\</script\\>\\\\u000a# \\@org/team |',
    );
  });
});
