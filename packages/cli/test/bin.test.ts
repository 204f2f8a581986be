import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
