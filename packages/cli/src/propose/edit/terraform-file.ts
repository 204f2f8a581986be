import type { Location, PolicyTarget } from './located.js';
import { asPolicyDocument, lineIndentAt, lineNumberAt } from './located.js';

/** Resource types whose top-level `policy` argument is the document. */
const policyResourceTypes = new Set([
  'aws_iam_policy',
  'aws_iam_role_policy',
  'aws_iam_user_policy',
  'aws_iam_group_policy',
]);

interface Block {
  readonly address: string;
  readonly type: string;
  /** Offsets of the `{` and `}` of the block body. */
  readonly open: number;
  readonly close: number;
}

class HclUnsupported extends Error {}

/**
 * The `policy` of one Terraform resource, written as `jsonencode({...})` or a heredoc of JSON. Only literal values
 * are read: a reference, function call or interpolation makes the policy unknowable here, so the file is left alone.
 * Hand-written rather than a full HCL parser because the edit must splice the original text, which needs exact
 * offsets, and the HCL-to-JSON converters keep `jsonencode(...)` as an unevaluated string.
 */
export function locateInTerraform(text: string, target: PolicyTarget): Location {
  let blocks: Block[];
  try {
    blocks = resourceBlocks(text);
  } catch (error) {
    return { unsupported: error instanceof HclUnsupported ? error.message : String(error) };
  }
  const named = target.resource === undefined ? undefined : blocks.find((b) => b.address === target.resource);
  if (target.resource !== undefined && named === undefined)
    return { unsupported: `no resource ${target.resource} in the file` };
  let block = named;
  if (block === undefined) {
    const policies = blocks.filter((b) => policyResourceTypes.has(b.type));
    if (policies.length !== 1 || policies[0] === undefined)
      return {
        unsupported:
          policies.length === 0
            ? 'the file holds no aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy or aws_iam_group_policy'
            : `the file holds ${policies.length} policy resources (${policies.map((b) => b.address).join(', ')}); say which with resource`,
      };
    block = policies[0];
  }
  if (!policyResourceTypes.has(block.type))
    return {
      unsupported:
        block.type === 'aws_iam_role'
          ? `${block.address}: inline_policy blocks are not edited; move the policy to an aws_iam_role_policy resource`
          : `${block.address}: a ${block.type} holds no policy document iamgen can edit`,
    };
  try {
    return policyArgument(text, block);
  } catch (error) {
    if (error instanceof HclUnsupported) return { unsupported: `${block.address}: ${error.message}` };
    throw error;
  }
}

function policyArgument(text: string, block: Block): Location {
  const argument = findArgument(text, block, 'policy');
  if (argument === undefined) throw new HclUnsupported('no policy argument');
  const where = `${block.address}.policy`;
  const inline = block.type !== 'aws_iam_policy';
  const indent = lineIndentAt(text, argument);
  const jsonencode = /jsonencode\s*\(/y;
  jsonencode.lastIndex = argument;
  if (jsonencode.test(text)) {
    const open = jsonencode.lastIndex - 1;
    const close = matchingClose(text, open);
    const value = new LiteralParser(text, open + 1, close).parseWhole();
    const policy = asPolicyDocument(value, where);
    if ('unsupported' in policy) return policy;
    return {
      policy,
      where,
      inline,
      rewrite: (next) => `${text.slice(0, argument)}jsonencode(${hclValue(next, indent)})${text.slice(close + 1)}`,
    };
  }
  const heredoc = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;
  heredoc.lastIndex = argument;
  const head = heredoc.exec(text);
  if (head !== null) {
    const marker = head[2] ?? '';
    const bodyStart = heredoc.lastIndex;
    const end = heredocEnd(text, bodyStart, marker);
    if (end === undefined) throw new HclUnsupported(`heredoc ${marker} is not closed`);
    const body = text.slice(bodyStart, end.lineStart);
    const parsed = parseHeredocJson(body, text, bodyStart);
    const policy = asPolicyDocument(parsed, where);
    if ('unsupported' in policy) return policy;
    const contentIndent = /^[ \t]*/.exec(body)?.[0] ?? '';
    const closingIndent = text.slice(end.lineStart, end.markerStart);
    return {
      policy,
      where,
      inline,
      rewrite: (next) => {
        const json = escapeTemplate(JSON.stringify(next, null, 2))
          .split('\n')
          .map((line) => `${contentIndent}${line}`)
          .join('\n');
        return `${text.slice(0, argument)}<<${head[1]}${marker}\n${json}\n${closingIndent}${text.slice(end.markerStart)}`;
      },
    };
  }
  const expression = text.slice(
    argument,
    text.indexOf('\n', argument) === -1 ? undefined : text.indexOf('\n', argument),
  );
  const file = /^file\(\s*"([^"]*)"\s*\)/.exec(expression);
  if (file !== null)
    return {
      unsupported: `${where} is read from ${file[1]} with file(); point the entry's file at that JSON file instead`,
    };
  return {
    unsupported: `${where} = ${expression.trim()} is not a literal jsonencode({...}) or heredoc; iamgen cannot evaluate it`,
  };
}

function parseHeredocJson(body: string, text: string, bodyStart: number): unknown {
  const interpolation = /(^|[^$%])([$%])\{/.exec(body);
  if (interpolation !== null)
    throw new HclUnsupported(
      `the heredoc interpolates ${interpolation[2]}{…} at line ${lineNumberAt(text, bodyStart + interpolation.index + (interpolation[1] ?? '').length)}`,
    );
  try {
    return JSON.parse(body.replace(/\$\$\{/g, () => '${').replace(/%%\{/g, () => '%{'));
  } catch {
    throw new HclUnsupported('the heredoc is not JSON');
  }
}

function heredocEnd(
  text: string,
  from: number,
  marker: string,
): { lineStart: number; markerStart: number } | undefined {
  let lineStart = from;
  while (lineStart < text.length) {
    const next = text.indexOf('\n', lineStart);
    const line = text.slice(lineStart, next === -1 ? undefined : next);
    if (line.trim() === marker) return { lineStart, markerStart: lineStart + line.indexOf(marker) };
    if (next === -1) return undefined;
    lineStart = next + 1;
  }
  return undefined;
}

/** Offset just past a comment, quoted string or heredoc starting at `i`, or `i` when none starts there. */
function skipAtom(text: string, i: number): number {
  const c = text[i];
  if (c === '#' || (c === '/' && text[i + 1] === '/')) {
    const end = text.indexOf('\n', i);
    return end === -1 ? text.length : end;
  }
  if (c === '/' && text[i + 1] === '*') {
    const end = text.indexOf('*/', i + 2);
    if (end === -1) throw new HclUnsupported(`unclosed comment at line ${lineNumberAt(text, i)}`);
    return end + 2;
  }
  if (c === '"') return skipString(text, i);
  if (c === '<' && text[i + 1] === '<') {
    const head = /<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y;
    head.lastIndex = i;
    const match = head.exec(text);
    if (match !== null) {
      const end = heredocEnd(text, head.lastIndex, match[1] ?? '');
      if (end === undefined) throw new HclUnsupported(`unclosed heredoc at line ${lineNumberAt(text, i)}`);
      return end.markerStart + (match[1] ?? '').length;
    }
  }
  return i;
}

function skipString(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') i += 3;
    else if ((c === '$' || c === '%') && text[i + 1] === '{') i = matchingClose(text, i + 1) + 1;
    else if (c === '\n') break;
    else i += 1;
  }
  throw new HclUnsupported(`unclosed string at line ${lineNumberAt(text, open)}`);
}

const closers: Readonly<Record<string, string>> = { '{': '}', '[': ']', '(': ')' };

/** Offset of the bracket closing the one at `open`, skipping strings, comments and heredocs. */
function matchingClose(text: string, open: number): number {
  const stack: string[] = [closers[text[open] ?? ''] ?? ''];
  let i = open + 1;
  while (i < text.length) {
    const skipped = skipAtom(text, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const c = text[i] ?? '';
    if (closers[c] !== undefined) stack.push(closers[c] ?? '');
    else if (c === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i;
    } else if (c === '}' || c === ']' || c === ')')
      throw new HclUnsupported(`unbalanced ${c} at line ${lineNumberAt(text, i)}`);
    i += 1;
  }
  throw new HclUnsupported(`unclosed ${text[open]} at line ${lineNumberAt(text, open)}`);
}

/** Top-level blocks, with `resource` blocks named by address. */
function resourceBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const header = /resource\s+"([^"]+)"\s+"([^"]+)"\s*\{/y;
  let i = 0;
  while (i < text.length) {
    const skipped = skipAtom(text, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    header.lastIndex = i;
    const match = (i === 0 || /\s/.test(text[i - 1] ?? '')) && header.exec(text);
    if (match) {
      const open = header.lastIndex - 1;
      const close = matchingClose(text, open);
      blocks.push({ address: `${match[1]}.${match[2]}`, type: match[1] ?? '', open, close });
      i = close + 1;
    } else if (closers[text[i] ?? ''] !== undefined) i = matchingClose(text, i) + 1;
    else i += 1;
  }
  return blocks;
}

/** Offset of the expression of `name = …` directly in the block body (not in nested blocks). */
function findArgument(text: string, block: Block, name: string): number | undefined {
  const argument = new RegExp(`[ \\t]*${name}[ \\t]*=[ \\t]*`, 'y');
  let i = block.open + 1;
  let lineStart = true;
  while (i < block.close) {
    if (lineStart) {
      argument.lastIndex = i;
      if (argument.test(text) && text[argument.lastIndex] !== '=') return argument.lastIndex;
    }
    const skipped = skipAtom(text, i);
    if (skipped !== i) {
      lineStart = false;
      i = skipped;
      continue;
    }
    const c = text[i] ?? '';
    if (closers[c] !== undefined) {
      i = matchingClose(text, i) + 1;
      lineStart = false;
      continue;
    }
    lineStart = c === '\n';
    i += 1;
  }
  return undefined;
}

/** Reads an HCL literal (objects, tuples, strings, numbers, bools, null) from `text[from, to)`. */
class LiteralParser {
  #at: number;
  readonly #text: string;
  readonly #end: number;

  constructor(text: string, from: number, to: number) {
    this.#text = text;
    this.#at = from;
    this.#end = to;
  }

  parseWhole(): unknown {
    const value = this.#value();
    this.#space();
    if (this.#at < this.#end) this.#fail('is more than one literal value');
    return value;
  }

  #fail(what: string): never {
    const snippet = this.#text.slice(this.#at, this.#at + 30).split('\n')[0] ?? '';
    throw new HclUnsupported(`the policy ${what} at line ${lineNumberAt(this.#text, this.#at)} (${snippet.trim()})`);
  }

  #space(): void {
    while (this.#at < this.#end) {
      const skipped = /\s/.test(this.#text[this.#at] ?? '') ? this.#at + 1 : this.#skipComment();
      if (skipped === this.#at) return;
      this.#at = skipped;
    }
  }

  #skipComment(): number {
    const c = this.#text[this.#at];
    return c === '#' || c === '/' ? skipAtom(this.#text, this.#at) : this.#at;
  }

  #value(): unknown {
    this.#space();
    const c = this.#text[this.#at];
    if (c === '{') return this.#object();
    if (c === '[') return this.#tuple();
    if (c === '"') return this.#string();
    const number = /-?\d+(\.\d+)?([eE][+-]?\d+)?(?![\w.])/y;
    number.lastIndex = this.#at;
    const n = number.exec(this.#text);
    if (n !== null) {
      this.#at = number.lastIndex;
      return Number(n[0]);
    }
    const word = /(true|false|null)(?![\w.[(])/y;
    word.lastIndex = this.#at;
    const w = word.exec(this.#text);
    if (w !== null) {
      this.#at = word.lastIndex;
      return w[1] === 'true' ? true : w[1] === 'false' ? false : null;
    }
    return this.#fail('uses an expression iamgen cannot evaluate');
  }

  #object(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.#at += 1;
    for (;;) {
      this.#space();
      if (this.#text[this.#at] === '}') {
        this.#at += 1;
        return result;
      }
      let key: string;
      if (this.#text[this.#at] === '"') key = this.#string();
      else {
        const identifier = /[A-Za-z_][A-Za-z0-9_-]*/y;
        identifier.lastIndex = this.#at;
        const match = identifier.exec(this.#text);
        if (match === null) this.#fail('has a key iamgen cannot read');
        key = match[0];
        this.#at = identifier.lastIndex;
      }
      this.#space();
      const separator = this.#text[this.#at];
      if (separator !== '=' && separator !== ':') this.#fail('has a key without = or :');
      this.#at += 1;
      result[key] = this.#value();
      this.#space();
      if (this.#text[this.#at] === ',') this.#at += 1;
      if (this.#at >= this.#end) this.#fail('has an unclosed object');
    }
  }

  #tuple(): unknown[] {
    const result: unknown[] = [];
    this.#at += 1;
    for (;;) {
      this.#space();
      if (this.#text[this.#at] === ']') {
        this.#at += 1;
        return result;
      }
      if (this.#text.startsWith('for ', this.#at)) this.#fail('uses a for expression');
      result.push(this.#value());
      this.#space();
      if (this.#text[this.#at] === ',') this.#at += 1;
      else if (this.#text[this.#at] !== ']') this.#fail('has a list item iamgen cannot read');
    }
  }

  #string(): string {
    let out = '';
    let i = this.#at + 1;
    const text = this.#text;
    while (i < this.#end) {
      const c = text[i] ?? '';
      if (c === '"') {
        this.#at = i + 1;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1] ?? '';
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
        if (simple[e] !== undefined) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' || e === 'U') {
          const digits = e === 'u' ? 4 : 8;
          out += String.fromCodePoint(Number.parseInt(text.slice(i + 2, i + 2 + digits), 16));
          i += 2 + digits;
        } else {
          this.#at = i;
          this.#fail('has an unknown escape');
        }
      } else if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') {
        out += `${c}{`;
        i += 3;
      } else if ((c === '$' || c === '%') && text[i + 1] === '{') {
        this.#at = i;
        this.#fail('interpolates a value');
      } else {
        out += c;
        i += 1;
      }
    }
    return this.#fail('has an unclosed string');
  }
}

/** HCL templates read `${` and `%{`; IAM policy variables such as `${aws:username}` must stay literal. */
const escapeTemplate = (text: string) => text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');

const hclKey = (key: string) => (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key));

/**
 * A value as `terraform fmt` lays it out: one attribute per line, `=` aligned across runs of single-line
 * attributes, list items one per line with a trailing comma.
 */
function hclValue(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (typeof value === 'string') return escapeTemplate(JSON.stringify(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => `${inner}${hclValue(item, inner)},`).join('\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).map(([key, item]) => ({ key: hclKey(key), text: hclValue(item, inner) }));
    if (entries.length === 0) return '{}';
    const lines: string[] = [];
    let run: { key: string; text: string }[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const width = Math.max(...run.map((e) => e.key.length));
      for (const e of run) lines.push(`${inner}${e.key.padEnd(width)} = ${e.text}`);
      run = [];
    };
    for (const entry of entries) {
      if (entry.text.includes('\n')) {
        flush();
        lines.push(`${inner}${entry.key} = ${entry.text}`);
      } else run.push(entry);
    }
    flush();
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
