import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../src/main.js';
import { gitHubPace } from '../src/propose/github.js';
import { FakeGitHub } from './github-fake.js';
import type { EventSpec } from './trail-fixtures.js';
import { trailEvent } from './trail-fixtures.js';

// GitHub's waits at test speed (three attempts, milliseconds instead of seconds); what is retried stays the same.
Object.assign(gitHubPace, {
  attempts: 3,
  backoffMs: 5,
  timeoutMs: 800,
  secondMs: 10,
  writeSpacingMs: 0,
  notifyingWriteSpacingMs: 0,
});

export const token = 'ghs_fakeToken0123456789abcdef';
export const repository = 'acme/infra';
const day = 86_400_000;

export const daysAgo = (days: number, now = Date.now()) =>
  new Date(now - days * day).toISOString().replace(/\.\d+Z$/, 'Z');

/** A CloudTrail record for a test; `data` makes it a data event, as trails with data events log them. */
export function event(spec: EventSpec & { data?: boolean; id: string }): Record<string, unknown> {
  const record = { ...trailEvent(spec), eventID: spec.id };
  return spec.data === true ? { ...record, eventCategory: 'Data', managementEvent: false } : record;
}

/** `count` events spread evenly from `fromDays` ago to `toDays` ago. */
export function spread(
  spec: EventSpec & { data?: boolean },
  count: number,
  fromDays: number,
  toDays: number,
  tag: string,
) {
  return Array.from({ length: count }, (_, i) =>
    event({
      ...spec,
      id: `${tag}-${i}`,
      time: daysAgo(fromDays - ((fromDays - toDays) * i) / Math.max(1, count - 1)),
    }),
  );
}

export interface Commit {
  readonly files: Record<string, string>;
  readonly daysAgo: number;
  readonly message?: string;
}

/** A repository with a bare `origin`, a fake GitHub and a folder of logs, for one end-to-end scenario. */
export class Scenario {
  readonly github = new FakeGitHub(token, repository);
  dir = '';
  repo = '';
  logs = '';
  #apiUrl = '';

  static async create(commits: readonly Commit[]): Promise<Scenario> {
    const scenario = new Scenario();
    scenario.dir = await mkdtemp(join(tmpdir(), 'iamgen-propose-'));
    scenario.repo = join(scenario.dir, 'repo');
    scenario.logs = join(scenario.dir, 'logs');
    await mkdir(scenario.repo);
    await mkdir(scenario.logs);
    scenario.git(scenario.dir, ['init', '--quiet', '--bare', '-b', 'main', 'origin.git']);
    scenario.git(scenario.repo, ['init', '--quiet', '-b', 'main']);
    scenario.git(scenario.repo, ['config', 'user.name', 'Platform Team']);
    scenario.git(scenario.repo, ['config', 'user.email', 'platform@example.com']);
    scenario.git(scenario.repo, ['remote', 'add', 'origin', join(scenario.dir, 'origin.git')]);
    for (const commit of commits) await scenario.commit(commit);
    scenario.#apiUrl = await scenario.github.start();
    return scenario;
  }

  git(cwd: string, args: readonly string[], date?: string): string {
    return execFileSync('git', [...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(date === undefined ? {} : { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }) },
    });
  }

  async commit(commit: Commit): Promise<void> {
    for (const [path, text] of Object.entries(commit.files)) {
      await mkdir(dirname(join(this.repo, path)), { recursive: true });
      await writeFile(join(this.repo, path), text);
    }
    this.git(this.repo, ['add', '-A']);
    this.git(this.repo, ['commit', '--quiet', '-m', commit.message ?? 'infra'], daysAgo(commit.daysAgo));
    this.git(this.repo, ['push', '--quiet', 'origin', 'main']);
  }

  async writeLogs(name: string, records: readonly Record<string, unknown>[]): Promise<void> {
    await writeFile(join(this.logs, name), JSON.stringify({ Records: records }));
  }

  async writeConfig(config: Record<string, unknown>): Promise<void> {
    await writeFile(join(this.repo, 'iamgen.config.yaml'), stringify({ events: [this.logs], ...config }));
  }

  /** The file on a branch of `origin`, or undefined when the branch does not exist. */
  onOrigin(branch: string, path: string): string | undefined {
    try {
      return this.git(join(this.dir, 'origin.git'), ['show', `refs/heads/${branch}:${path}`]);
    } catch {
      return undefined;
    }
  }

  branches(): string[] {
    return this.git(join(this.dir, 'origin.git'), ['for-each-ref', '--format=%(refname:short) %(objectname)'])
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .sort();
  }

  async run(args: readonly string[], env: Record<string, string | undefined> = {}) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['propose', ...args], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      cwd: this.repo,
      env: {
        PATH: process.env.PATH,
        HOME: this.dir,
        GIT_CONFIG_NOSYSTEM: '1',
        GITHUB_TOKEN: token,
        GITHUB_API_URL: this.#apiUrl,
        GITHUB_REPOSITORY: repository,
        ...env,
      },
      stderrIsTTY: false,
    });
    return { code, stdout, stderr };
  }

  async close(): Promise<void> {
    await this.github.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
