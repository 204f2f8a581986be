import { describe, expect, it } from 'vitest';
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
    ['[click](x)', '\\[click\\]\\(x\\)'],
    ['@team *bold* <b>|', '\\@team \\*bold\\* \\<b\\>\\|'],
  ])('%j → %s', (text, escaped) => {
    expect(markdownText(text)).toBe(escaped);
  });
});
