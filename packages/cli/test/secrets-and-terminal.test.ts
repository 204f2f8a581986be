import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeControlCharacters } from '@iamgen/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFileNames, safeFileName } from '../src/out-dir.js';
import { runCliCaptured } from '../src/run-captured.js';
import { maskSecrets } from '../src/terminal.js';
import { reliability } from './reliability.js';
import { testAccount, trailEvent } from './trail-fixtures.js';

let dir: string;
const esc = '\u001b';
/** Terminal-driving bytes: CSI colour and clear-screen, an OSC title with BEL, carriage return, bidi override. */
const hostile = `${esc}[31mred${esc}[2J${esc}]0;pwned\u0007\rover\u202egnp.exe`;
const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const sessionToken = `IQoJb3JpZ2luX2VjEMv//////////wEaCXVzLWVhc3QtMSJHMEUCIQD${'x'.repeat(200)}`;
const accessKey = 'ASIAQWERTYUIOPASDFGH';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-secrets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const rawControls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('terminal output from hostile event fields', () => {
  it(
    '[reliability] ANSI escapes and control characters in event fields and file names print as text',
    reliability({
      area: 'terminal',
      fault: 'ANSI escapes, BEL, CR and bidi overrides in event fields and file names',
      produced: 'events whose eventName, eventSource and role name, and a file whose name, carry escape sequences',
      expected: 'every control character reaches stdout and stderr as a visible \\uXXXX; the run goes on',
    }),
    async () => {
      const folder = await mkdtemp(join(dir, 'ansi-'));
      const records = [
        trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }),
        trailEvent({ role: 'app', source: 'sqs', name: `List${hostile}` }),
        { ...trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }), eventSource: `sqs${hostile}` },
        trailEvent({ role: `evil${hostile}`, source: 'sqs', name: 'ListQueues' }),
      ];
      await writeFile(join(folder, 'events.json'), JSON.stringify({ Records: records }));
      await writeFile(join(folder, `bad${esc}[2J.json`), '{"Records": [');
      const run = await runCliCaptured(['from-trail', '--role', 'app', '--events', folder], folder);
      const roles = await runCliCaptured(['roles', '--events', folder], folder);
      const unseen = await runCliCaptured(['from-trail', '--role', 'ghost', '--events', folder], folder);
      for (const result of [run, roles, unseen]) {
        expect(result.stdout).not.toMatch(rawControls);
        expect(result.stderr).not.toMatch(rawControls);
      }
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('bad\\u001b[2J.json: not valid JSON');
      expect(run.stderr).toContain('sqs:List\\u001b[31mred');
      expect(roles.stdout).toContain(
        'role/evil\\u001b[31mred\\u001b[2J\\u001b]0;pwned\\u0007\\u000dover\\u202egnp.exe',
      );
      expect(unseen.code).toBe(1);
    },
  );

  it('escapes controls but keeps newlines and tabs', () => {
    expect(escapeControlCharacters(`a\tb\nc${esc}[0m\r`)).toBe('a\tb\nc\\u001b[0m\\u000d');
  });
});

describe('Markdown diffs', () => {
  it(
    '[reliability] Markdown in resource names stays text in the diff (PR body)',
    reliability({
      area: 'terminal',
      fault: 'backticks, HTML, links, @mentions and newlines in resource names',
      produced:
        'a current policy whose resources hold `, </details>, <img onerror>, [link](…), @org/team and a newline',
      expected: 'each resource is one inline code span on its own list item; no raw HTML, link or mention escapes it',
    }),
    async () => {
      const folder = await mkdtemp(join(dir, 'markdown-'));
      const evil = [
        'arn:aws:s3:::b/`</details><img src=x onerror=alert(1)>`',
        'arn:aws:s3:::b/[link](https://evil.example) @org/team',
        'arn:aws:s3:::b/line\n## heading',
      ];
      const policy = (resources: string[]) =>
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: resources }],
        });
      await writeFile(join(folder, 'current.json'), policy(['arn:aws:s3:::b/ok', ...evil]));
      await writeFile(join(folder, 'proposed.json'), policy(['arn:aws:s3:::b/ok']));
      const result = await runCliCaptured(
        ['diff', '--current', 'current.json', '--proposed', 'proposed.json', '--format', 'markdown', '--data-events'],
        folder,
      );
      expect(result.code).toBe(3);
      const items = result.stdout.split('\n').filter((line) => line.includes('arn:aws:s3:::b/'));
      expect(items).toEqual([
        '- `s3:GetObject` on `arn:aws:s3:::b/[link](https://evil.example) @org/team`',
        '- `s3:GetObject` on `` arn:aws:s3:::b/`</details><img src=x onerror=alert(1)>` ``',
        '- `s3:GetObject` on `arn:aws:s3:::b/line\\u000a## heading`',
      ]);
    },
  );
});

describe('secrets', () => {
  it(
    '[reliability] credentials from the environment and tokens in events never printed or written',
    reliability({
      area: 'secret',
      fault: 'session tokens, secret keys and access key ids inside events; credentials in the environment',
      produced:
        'AssumeRole/GetSessionToken events with responseElements.credentials, an event name holding an access key id, a run with AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN set',
      expected:
        'no token or secret in stdout, stderr or --report; access key ids masked as ASIA…FGH in stderr and the report',
    }),
    async () => {
      const folder = await mkdtemp(join(dir, 'tokens-'));
      const credentials = { accessKeyId: accessKey, secretAccessKey: secretKey, sessionToken, expiration: 'x' };
      const records = [
        {
          ...trailEvent({
            role: 'app',
            source: 'sts',
            name: 'AssumeRole',
            params: { roleArn: `arn:aws:iam::${testAccount}:role/target`, roleSessionName: 's' },
          }),
          responseElements: { credentials },
        },
        { ...trailEvent({ role: 'app', source: 'sts', name: 'GetSessionToken' }), responseElements: { credentials } },
        trailEvent({ role: 'app', source: 'sqs', name: accessKey }),
        {
          ...trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }),
          eventSource: `${accessKey}.${sessionToken}`,
        },
      ];
      await writeFile(join(folder, 'events.json'), JSON.stringify({ Records: records }));
      const env = {
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: secretKey,
        AWS_SESSION_TOKEN: sessionToken,
      };
      const run = await runCliCaptured(
        ['from-trail', '--role', 'app', '--events', 'events.json', '--report', 'report.json', '--include-denied'],
        folder,
        true,
        env,
      );
      const roles = await runCliCaptured(['roles', '--events', 'events.json', '--format', 'json'], folder, false, env);
      const failed = await runCliCaptured(
        ['roles', '--lookup-events', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9'],
        folder,
        false,
        env,
      );
      expect(run.code).toBe(0);
      expect(failed.code).toBe(1);
      const report = await readFile(join(folder, 'report.json'), 'utf8');
      for (const text of [run.stdout, run.stderr, report, roles.stdout, roles.stderr, failed.stderr]) {
        expect(text).not.toContain(secretKey);
        expect(text).not.toContain(sessionToken.slice(0, 40));
      }
      for (const text of [run.stderr, report]) expect(text).not.toContain(accessKey);
      expect(report).toContain('ASIA…FGH');
      expect(run.stderr).toContain('sqs:ASIA…FGH');
    },
  );

  it.each([
    ['AKIAIOSFODNN7EXAMPLE in a message', 'key AKIAIOSFODNN7EXAMPLE here', 'key AKIA…PLE here'],
    ['a temporary key id', 'ASIAQWERTYUIOPASDFGH', 'ASIA…FGH'],
    ['a role id is no key', 'AROAQWERTYUIOPASDFGH', 'AROAQWERTYUIOPASDFGH'],
    ['a session token', `token ${sessionToken} end`, 'token [session token] end'],
    ['a named secret key', `"secretAccessKey": "${secretKey}"`, '"secretAccessKey": "[secret]"'],
    ['an ARN stays', 'arn:aws:s3:::bucket/key', 'arn:aws:s3:::bucket/key'],
  ])('maskSecrets: %s', (_name, text, masked) => {
    expect(maskSecrets(text)).toBe(masked);
  });
});

/** Characters that matter to paths and terminals, mixed with any code point (fast-check's 'binary' unit is slow to start). */
const nameUnit = fc.oneof(
  fc.constantFrom('.', '/', '\\', '\u0000', '\u001b', ' ', ':', 'r', 'e', 'p', 'o', 't', 'R'),
  fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
);

describe('policy file names', () => {
  it.each<[string, string]>([
    ['orders-api', 'orders-api'],
    ['../../etc/passwd', '___.._etc_passwd'],
    ['..', '__'],
    ['.hidden', '_hidden'],
    ['a/b\\c', 'a_b_c'],
    [`evil${esc}[2J\u0000`, 'evil__2J_'],
    ['', '_'],
  ])('safeFileName(%j) → %j', (name, expected) => {
    expect(safeFileName(name)).toBe(expected);
  });

  it(
    '[reliability] file names from role names stay inside the --out-dir folder',
    reliability({
      area: 'write',
      fault: 'role names that are paths, dot-dot, controls, "report" or names clashing across accounts or by case',
      produced: 'policyFileNames over generated principals (fast-check), plus a table of hostile names',
      expected:
        'one path segment of safe characters per principal, never hidden, never report.json, unique ignoring case',
    }),
    () => {
      const principal = fc.record({
        name: fc.string({ unit: nameUnit, maxLength: 30 }),
        account: fc.constantFrom('111122223333', '444455556666'),
      });
      fc.assert(
        fc.property(fc.array(principal, { maxLength: 12 }), (principals) => {
          const named = principals.map((p, i) => ({
            key: String(i),
            name: p.name,
            arns: [`arn:aws:iam::${p.account}:role/${p.name}`],
          }));
          const files = [...policyFileNames(named, 'json').values()];
          expect(files).toHaveLength(principals.length);
          for (const file of files) {
            expect(file).toMatch(/^[A-Za-z0-9+=,.@_-]+\.json$/);
            expect(file.startsWith('.')).toBe(false);
            expect(file.toLowerCase()).not.toBe('report.json');
          }
          expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(files.length);
        }),
      );
    },
  );
});
