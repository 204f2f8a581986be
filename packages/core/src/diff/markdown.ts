import { escapeControlCharacters } from '../escape.js';

/**
 * Text from logs and policies (resource names, S3 keys, actions) goes into Markdown that GitHub renders as a PR
 * body; none of it may turn into markup, links, mentions or HTML, or break out of its list item or table cell.
 */

/**
 * An inline code span that holds `text` literally, whatever backticks it contains (CommonMark's fence rule).
 * Not for table cells, where a pipe would still split the cell.
 */
export function codeSpan(text: string): string {
  const shown = escapeControlCharacters(text, false);
  const longest = Math.max(0, ...[...shown.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = shown.startsWith('`') || shown.endsWith('`') || /^ .* $/.test(shown) ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

/**
 * Inline text (a table cell, a sentence) with every character that could start markup, a link, HTML, an entity, a
 * mention or a cell border backslash-escaped; characters that only matter at the start of a line are left alone.
 */
export function markdownText(text: string): string {
  return escapeControlCharacters(text, false).replace(/[\\`*_[\]<>|&@~]/g, (c) => `\\${c}`);
}
