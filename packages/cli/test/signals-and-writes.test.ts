import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { reliability } from './reliability.js';
import { trailEvent } from './trail-fixtures.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const manifest = fileURLToPath(new URL('../package.json', import.meta.url));
let dir: string;
let server: Server;
let endpoint: string;
/** Resolves when the hanging endpoint has a request in hand: the run is then surely mid-way. */
let requestArrived: () => void = () => {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-signals-'));
  await writeFile(
    join(dir, 'events.json'),
    JSON.stringify({ Records: [trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' })] }),
  );
  // A CloudTrail endpoint that takes requests and never answers.
  server = createServer(() => requestArrived());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function interruptMidRun(signal: 'SIGINT' | 'SIGTERM', output: readonly string[] = ['--out', 'policy.json']) {
  const work = await mkdtemp(join(dir, 'run-'));
  await writeFile(join(work, 'policy.json'), 'previous policy\n');
  const arrived = new Promise<void>((resolve) => {
    requestArrived = resolve;
  });
  const child = spawn(
    process.execPath,
    [
      bin,
      'from-trail',
      '--role',
      'app',
      '--lookup-events',
      'us-east-1',
      '--endpoint-url',
      endpoint,
      ...output,
      '--report',
      'report.json',
    ],
    {
      cwd: work,
      env: { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
    },
  );
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await arrived;
  child.kill(signal);
  const code = await exited;
  return {
    code,
    stdout,
    stderr,
    files: (await readdir(work)).sort(),
    policy: await readFile(join(work, 'policy.json'), 'utf8'),
  };
}

describe('signals', () => {
  it(
    '[reliability] SIGINT mid-run: exit 130, one line, the previous --out untouched, no temporary file',
    reliability({
      area: 'signal',
      fault: 'SIGINT (Ctrl-C) while reading',
      produced: 'the built binary waits on a CloudTrail endpoint that never answers; the test sends SIGINT',
      expected: 'exit 130, one line on stderr, the existing --out file unchanged, no report, no temporary file',
    }),
    async () => {
      const result = await interruptMidRun('SIGINT');
      expect(result.code).toBe(130);
      expect(result.stderr).toBe('iamgen: interrupted by SIGINT; no partial file was left\n');
      expect(result.stdout).toBe('');
      expect(result.files).toEqual(['policy.json']);
      expect(result.policy).toBe('previous policy\n');
    },
  );

  it(
    '[reliability] SIGINT mid-run with several principals: --out-dir left as it was',
    reliability({
      area: 'signal',
      fault: 'SIGINT while reading for --all --out-dir',
      produced: 'as above, with --all --out-dir out (policies are all made before any is written)',
      expected: 'exit 130, one line, no out folder content, no report, no temporary file',
    }),
    async () => {
      const result = await interruptMidRun('SIGINT', ['--all', '--out-dir', 'out']);
      expect(result.code).toBe(130);
      expect(result.stderr).toBe('iamgen: interrupted by SIGINT; no partial file was left\n');
      expect(result.files).toEqual(['policy.json']);
    },
  );

  it(
    '[reliability] SIGTERM mid-run: exit 143, one line, no temporary file',
    reliability({
      area: 'signal',
      fault: 'SIGTERM (a scheduler stopping the job) while reading',
      produced: 'as for SIGINT, with SIGTERM',
      expected: 'exit 143, one line on stderr, the existing --out file unchanged, no temporary file',
    }),
    async () => {
      const result = await interruptMidRun('SIGTERM');
      expect(result.code).toBe(143);
      expect(result.stderr).toBe('iamgen: interrupted by SIGTERM; no partial file was left\n');
      expect(result.files).toEqual(['policy.json']);
      expect(result.policy).toBe('previous policy\n');
    },
  );
});

/** A folder this process cannot write to: mode 555, or for root (who ignores modes) an immutable folder. */
async function readOnlyFolder(path: string): Promise<boolean> {
  await mkdir(path);
  await chmod(path, 0o555);
  const writable = () =>
    writeFile(join(path, 'probe'), '').then(
      async () => {
        await rm(join(path, 'probe'));
        return true;
      },
      () => false,
    );
  if (!(await writable())) return true;
  spawnSync('chattr', ['+i', path], { stdio: 'ignore' });
  return !(await writable());
}

describe('writing --out', () => {
  const fromTrail = (...extra: string[]) =>
    runCliCaptured(['from-trail', '--role', 'app', '--events', 'events.json', ...extra], dir);

  it(
    '[reliability] --out in a read-only folder: one line, exit 1, nothing left',
    reliability({
      area: 'write',
      fault: '--out in a read-only folder',
      produced: 'a folder with mode 555 (chattr +i when the tests run as root)',
      expected: 'exit 1 with one line naming the file and "permission denied"; no temporary file',
    }),
    async (context) => {
      const folder = join(dir, 'read-only');
      if (!(await readOnlyFolder(folder))) context.skip();
      try {
        const result = await fromTrail('--out', 'read-only/policy.json');
        expect(result).toMatchObject({
          code: 1,
          stdout: '',
          stderr: expect.stringMatching(
            /^iamgen: cannot write read-only\/policy\.json: (permission denied|read-only file system)\n$/,
          ),
        });
        expect(await readdir(folder)).toEqual([]);
      } finally {
        spawnSync('chattr', ['-i', folder], { stdio: 'ignore' });
        await chmod(folder, 0o755);
      }
    },
  );

  it.skipIf(process.platform !== 'linux')(
    '[reliability] --out on a full disk (/dev/full): one line, exit 1, the device left alone',
    reliability({
      area: 'write',
      fault: '--out on a full disk',
      produced: '--out /dev/full (every write fails with ENOSPC)',
      expected:
        'exit 1 with "cannot write /dev/full: no space left on device"; the device is written in place, never replaced',
    }),
    async () => {
      const result = await fromTrail('--out', '/dev/full');
      expect(result).toMatchObject({
        code: 1,
        stdout: '',
        stderr: 'iamgen: cannot write /dev/full: no space left on device\n',
      });
      expect((await stat('/dev/full')).isCharacterDevice()).toBe(true);
    },
  );

  it('--out naming a folder is one line', async () => {
    expect(await fromTrail('--out', '.')).toMatchObject({
      code: 1,
      stderr: 'iamgen: cannot write .: it is a folder\n',
    });
  });

  it('--out in a folder that does not exist, or under a file, is one line before the logs are read', async () => {
    await writeFile(join(dir, 'a-file'), 'x');
    // A bad record would be a warning line if the logs were read first.
    await writeFile(join(dir, 'with-bad-record.json'), '{"Records": [1]}');
    for (const [out, reason] of [
      ['missing/policy.json', 'no such folder'],
      ['a-file/policy.json', 'a parent is not a folder'],
    ]) {
      expect(
        await runCliCaptured(
          ['from-trail', '--role', 'app', '--events', 'events.json', '--events', 'with-bad-record.json', '--out', out],
          dir,
        ),
      ).toEqual({ code: 1, stdout: '', stderr: `iamgen: cannot write ${out}: ${reason}\n` });
    }
  });

  it('--out-dir naming a file is a usage error, before the logs are read', async () => {
    await writeFile(join(dir, 'not-a-folder'), 'x');
    await writeFile(join(dir, 'with-bad-record.json'), '{"Records": [1]}');
    const result = await runCliCaptured(
      [
        'from-trail',
        '--all',
        '--events',
        'events.json',
        '--events',
        'with-bad-record.json',
        '--out-dir',
        'not-a-folder',
      ],
      dir,
    );
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'iamgen: --out-dir not-a-folder is not a folder\n' });
    expect(await readFile(join(dir, 'not-a-folder'), 'utf8')).toBe('x');
    // A new folder under a file cannot be made either: one line, not an internal error.
    expect(
      await runCliCaptured(
        ['from-trail', '--all', '--events', 'events.json', '--out-dir', 'not-a-folder/policies'],
        dir,
      ),
    ).toEqual({
      code: 1,
      stdout: '',
      stderr: 'iamgen: cannot write not-a-folder/policies: a parent is not a folder\n',
    });
  });

  it('--out-dir in a read-only folder: one line before the logs are read, exit 1, nothing left', async (context) => {
    const folder = join(dir, 'read-only-parent');
    if (!(await readOnlyFolder(folder))) context.skip();
    try {
      for (const outDir of ['read-only-parent', 'read-only-parent/policies']) {
        const result = await fromTrail('--all', '--out-dir', outDir);
        expect(result).toMatchObject({
          code: 1,
          stdout: '',
          stderr: expect.stringMatching(
            new RegExp(`^iamgen: cannot write ${outDir}: (permission denied|read-only file system)\n$`),
          ),
        });
      }
      expect(await readdir(folder)).toEqual([]);
    } finally {
      spawnSync('chattr', ['-i', folder], { stdio: 'ignore' });
      await chmod(folder, 0o755);
    }
  });

  it('--out /dev/stdout writes through the pipe instead of replacing it', () => {
    // Through a shell pipe, as `iamgen … --out /dev/stdout | jq` would run (Node's own stdio pipes are sockets).
    const result = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${bin}" from-trail --role app --events events.json --out /dev/stdout | cat`],
      {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      },
    );
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).Statement[0].Action).toEqual(['sqs:ListQueues']);
  });
});

describe('iamgen --version', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
    const result = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(result).toMatchObject({ status: 0, stdout: `${version}\n`, stderr: '' });
  });
});
