import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodes } from '../src/cli-io.js';
import { runCli } from '../src/main.js';
import { signalExitCodes } from '../src/signals.js';
import { reliability } from './reliability.js';
import { trailEvent } from './trail-fixtures.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-small-'));
  for (const n of [1, 2, 3]) {
    await writeFile(
      join(dir, `events-${n}.json`),
      JSON.stringify({ Records: [trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' })] }),
    );
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A terminal as cli-progress sees one: a TTY stream with a width. */
function fakeTerminal() {
  let text = '';
  const stream = {
    isTTY: true,
    columns: 100,
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
    on: () => stream,
    removeListener: () => stream,
  };
  return { stream, text: () => text };
}

async function runOnTerminal(env: Record<string, string>) {
  const terminal = fakeTerminal();
  const code = await runCli(['from-trail', '--role', 'app', '--events', '.'], {
    stdout: { write: () => true },
    stderr: terminal.stream,
    cwd: dir,
    env,
    stderrIsTTY: true,
  });
  return { code, stderr: terminal.text() };
}

describe('progress and colour', () => {
  it('draws a progress bar on a terminal, without colour', async () => {
    const result = await runOnTerminal({ NO_COLOR: '1' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('reading [');
    // Cursor movement is allowed on a terminal; colour (SGR) is not, NO_COLOR or not.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape sequences is the point
    expect(result.stderr).not.toMatch(/\u001b\[[0-9;]*m/);
  });

  it('draws nothing on a dumb terminal or a pipe', async () => {
    expect((await runOnTerminal({ TERM: 'dumb' })).stderr).not.toContain('reading [');
    const piped = spawnSync(process.execPath, [bin, 'from-trail', '--role', 'app', '--events', '.'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(piped.status).toBe(0);
    expect(piped.stderr).not.toContain('reading [');
    expect(piped.stderr).not.toContain('\u001b');
  });
});

describe('what a user sees on stderr', () => {
  it(
    "[reliability] pnpm iamgen from the README prints only the tool's own output",
    reliability({
      area: 'terminal',
      fault: 'package-manager and build chatter, runtime deprecation warnings',
      produced: 'the README command run through pnpm, and a built binary that creates AWS clients under Node 20',
      expected:
        "stdout is the policy, stderr only iamgen's own lines: no script echo, no tsc output, no SDK Node-version warning",
    }),
    async () => {
      const readme = spawnSync(
        'pnpm',
        ['iamgen', 'from-trail', '--role', 'orders-api-handler', '--events', 'samples/orders-api/logs'],
        { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      );
      const direct = spawnSync(
        process.execPath,
        [bin, 'from-trail', '--role', 'orders-api-handler', '--events', 'samples/orders-api/logs'],
        { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      // Exactly what the binary itself prints: no script echo, no build output, no runtime warning.
      expect(readme.stderr).toBe(direct.stderr);
      expect(readme.stderr).toMatch(/^(warning: [^\n]*\n)+$/);
      expect(readme.stdout).toBe(await readFile(join(root, 'samples/orders-api/expected-policy.json'), 'utf8'));
      const aws = spawnSync(
        process.execPath,
        [
          bin,
          'roles',
          '--lookup-events',
          'us-east-1',
          '--endpoint-url',
          'http://127.0.0.1:9',
          '--connect-timeout',
          '1',
        ],
        {
          cwd: dir,
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            AWS_ACCESS_KEY_ID: 'testing',
            AWS_SECRET_ACCESS_KEY: 'testing',
            AWS_MAX_ATTEMPTS: '1',
          },
        },
      );
      expect(aws.status).toBe(1);
      expect(aws.stderr).toMatch(/^iamgen: cannot read LookupEvents in us-east-1 \([^\n]*\)\n$/);
    },
  );
});

describe('the docs on exit codes', () => {
  const docs = readdirSync(join(root, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => [file, readFileSync(join(root, 'docs', file), 'utf8')] as const);

  it("from-trail's table lists exactly the codes the CLI ends with", () => {
    const page = readFileSync(join(root, 'docs', 'from-trail.md'), 'utf8');
    const table = page.slice(page.indexOf('## Exit codes'), page.indexOf('\n## ', page.indexOf('## Exit codes') + 1));
    const codes = [...table.matchAll(/^\| (\d+) +\|/gm)].map((match) => Number(match[1]));
    // `changes` (3) is iamgen diff's alone.
    const { changes: _, ...fromTrail } = exitCodes;
    expect(codes).toEqual([...Object.values(fromTrail), ...Object.values(signalExitCodes)].sort((a, b) => a - b));
  });

  it('every passage on an interrupt gives its exit code as 130 or 143, never 1', () => {
    const passages = docs.flatMap(([file, text]) =>
      text
        .split(/\n\s*\n|\n(?=- |\| )/)
        .filter((passage) => /SIGINT|SIGTERM|Ctrl-C/.test(passage) && /\bexit/.test(passage))
        .map((passage) => [file, passage.replace(/\s+/g, ' ')] as const),
    );
    expect(passages.length).toBeGreaterThanOrEqual(3);
    for (const [file, passage] of passages) {
      expect(`${file}: ${passage}`).toMatch(/\b(130|143)\b/);
      expect(`${file}: ${passage}`).not.toMatch(/(interrupt|Ctrl-C|SIGINT|SIGTERM)[^.;]*\bexits? 1\b/);
    }
  });
});
