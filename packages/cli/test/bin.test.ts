import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trailEvent } from './trail-fixtures.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-bin-'));
  await writeFile(
    join(dir, 'events.json'),
    JSON.stringify({ Records: [trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' })] }),
  );
  await writeFile(join(dir, 'broken.json'), '{"Records": [');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function iamgen(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
}

// The built binary, as users and scripts run it: exit codes and streams are the contract.
describe('iamgen binary', () => {
  it('prints the policy on stdout, warnings on stderr, exit 0', () => {
    const result = iamgen('from-trail', '--role', 'app', '--events', '.');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).Statement[0].Action).toEqual(['sqs:ListQueues']);
    expect(result.stderr).toMatch(/^warning: broken\.json: not valid JSON/m);
  });

  it.each([
    [['from-trail', '--role', 'ghost', '--events', '.'], 1],
    [['from-trail', '--role', 'app', '--events', 'missing'], 2],
    [['from-trail', '--role', 'app', '--events', '.', '--bogus'], 2],
    [['nonsense'], 2],
  ])('%j exits %i with one line and no stack trace', (args, code) => {
    const result = iamgen(...args);
    expect(result.status).toBe(code);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^iamgen: /);
  });
});

describe('iamgen start-up', () => {
  /** The module files a run of the binary loaded: ES modules through a loader hook, CommonJS ones from the cache. */
  async function loadedBy(...args: string[]): Promise<string> {
    const log = join(dir, 'loaded.txt');
    await writeFile(log, '');
    await writeFile(
      join(dir, 'hooks.mjs'),
      "import { appendFileSync } from 'node:fs';\n" +
        'export async function load(url, context, next) {\n' +
        '  appendFileSync(process.env.LOADED_LOG, `${url}\\n`);\n' +
        '  return next(url, context);\n' +
        '}\n',
    );
    await writeFile(
      join(dir, 'register.mjs'),
      "import { appendFileSync } from 'node:fs';\n" +
        "import { createRequire, register } from 'node:module';\n" +
        "register('./hooks.mjs', import.meta.url);\n" +
        "process.on('exit', () => appendFileSync(process.env.LOADED_LOG, Object.keys(createRequire(import.meta.url).cache).join('\\n')));\n",
    );
    const result = spawnSync(
      process.execPath,
      ['--import', pathToFileURL(join(dir, 'register.mjs')).href, bin, ...args],
      { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, LOADED_LOG: log } },
    );
    expect(result.status).toBe(0);
    return readFile(log, 'utf8');
  }

  const heavy = ['@aws-sdk', '@smithy', 'yaml', 'zod', '@octokit', 'cli-progress', 'cliui', 'string-width'];

  it('loads only what a local run needs: no AWS SDK, no help renderer, no library of another command or format', async () => {
    const loaded = await loadedBy('from-trail', '--role', 'app', '--events', 'events.json');
    expect(loaded).toContain('/dist/commands/from-trail.js');
    for (const name of heavy) expect(loaded).not.toContain(`/node_modules/${name}/`);
    // The same detection sees a library as soon as a run needs it.
    const yaml = await loadedBy('from-trail', '--role', 'app', '--events', 'events.json', '--format', 'yaml');
    expect(yaml).toContain('/node_modules/yaml/');
    expect(await loadedBy('--help')).toContain('/node_modules/cliui/');
  });
});
