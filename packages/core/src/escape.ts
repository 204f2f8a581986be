/** C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides of "Trojan Source". */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from logs (event names, ARNs, file names) shown as `\uXXXX` wherever it holds a control character, so it
 * prints as text and never drives a terminal or breaks a line it was put on. Newlines are kept unless asked.
 */
export function escapeControlCharacters(text: string, keepNewlines = true): string {
  const escaped = text.replace(unsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return keepNewlines ? escaped : escaped.replace(/\n/g, '\\u000a');
}
