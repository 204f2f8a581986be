/**
 * What iamgen prints comes partly from logs other systems wrote: event names, ARNs, file names, error messages.
 * None of it may drive the terminal (ANSI escapes, carriage returns, bidirectional overrides) or reveal a secret.
 */
import { escapeControlCharacters } from '@iamgen/core';

/** Long-term (AKIA) and temporary (ASIA) access key ids: 20 characters. */
const accessKeyId = /\b(AKIA|ASIA)[A-Z0-9]{13}([A-Z0-9]{3})\b/g;
/**
 * STS session tokens are long base64 strings with recognisable starts (the serialized "origin" or "er/aws"
 * headers); secret keys are 40 base64 characters right after a name that says so.
 */
const sessionToken = /\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz|AQoDYXdz)[A-Za-z0-9/+=]{16,}/g;
const namedSecret =
  /((?:secret_?access_?key|secretAccessKey|session_?token|sessionToken|aws_secret_access_key)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{16,}/gi;

/** Masks access key ids (`AKIA…XYZ`), session tokens and named secret keys in report and terminal text. */
export function maskSecrets(text: string): string {
  return text
    .replace(accessKeyId, (_, prefix: string, last: string) => `${prefix}…${last}`)
    .replace(sessionToken, '[session token]')
    .replace(namedSecret, (_, name: string) => `${name}[secret]`);
}

interface Writer {
  write(text: string): unknown;
}

const raw = Symbol('raw stream');

/**
 * A writer that escapes control characters in everything written through it, and masks secrets too unless it
 * carries a policy (stdout), whose resource names must stay exactly as observed.
 */
export function safeWriter<T extends Writer>(target: T, mask: boolean): Writer & { readonly [raw]: T } {
  const clean = mask ? (text: string) => maskSecrets(escapeControlCharacters(text)) : escapeControlCharacters;
  return { write: (text: string) => target.write(clean(text)), [raw]: target };
}

/** The stream under a safe writer: progress bars draw with escape codes of their own, never with log text. */
export function rawStreamOf(writer: Writer): Writer {
  return raw in writer ? (writer as { [raw]: Writer })[raw] : writer;
}
