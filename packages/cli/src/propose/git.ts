import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A git command that failed; its message has had credentials removed. */
export class GitError extends Error {
  override readonly name = 'GitError';
}

/** Removes credentials from text that may quote a remote URL or an environment value. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(/(\/\/)[^/\s@]+@/g, '$1***@');
  for (const secret of secrets) if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

/**
 * Plain `git` without a shell. Commits are built with plumbing in a private index, so the checkout the job runs
 * in (its working tree, index and current branch) is never touched, and several proposals can share a file.
 */
export class Git {
  readonly #cwd: string;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #secrets: readonly (string | undefined)[];

  constructor(
    cwd: string,
    env: Readonly<Record<string, string | undefined>>,
    secrets: readonly (string | undefined)[],
  ) {
    this.#cwd = cwd;
    this.#env = env;
    this.#secrets = secrets;
  }

  run(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      const child = execFile(
        'git',
        [...args],
        {
          cwd: this.#cwd,
          env: { ...this.#env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...options.env },
          maxBuffer: 64 * 1024 * 1024,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          if (error === null) resolvePromise(stdout);
          else {
            const detail = (stderr.trim() || error.message).split('\n').slice(-3).join(' ');
            reject(new GitError(redact(`git ${args[0] ?? ''}: ${detail}`, this.#secrets)));
          }
        },
      );
      // A command that reads no input may exit before the write lands; its exit code is what counts.
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input ?? '');
    });
  }

  /** Output of a command that may legitimately fail (a missing ref or path), or undefined. */
  async maybe(args: readonly string[]): Promise<string | undefined> {
    try {
      return await this.run(args);
    } catch (error) {
      if (error instanceof GitError) return undefined;
      throw error;
    }
  }

  async topLevel(): Promise<string> {
    return (await this.run(['rev-parse', '--show-toplevel'])).trim();
  }

  /** The branch checked out, or the remote's default branch on a detached checkout. */
  async defaultBase(): Promise<string | undefined> {
    const current = (await this.maybe(['symbolic-ref', '--quiet', '--short', 'HEAD']))?.trim();
    if (current) return current;
    const remoteHead = (await this.maybe(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']))?.trim();
    return remoteHead?.replace(/^origin\//, '') || undefined;
  }

  /** Fetches the base branch and every proposal branch; returns the base commit. */
  async fetch(base: string, branchPrefix: string): Promise<string> {
    await this.run([
      'fetch',
      '--quiet',
      '--prune',
      'origin',
      `+refs/heads/${base}:refs/remotes/origin/${base}`,
      `+refs/heads/${branchPrefix}*:refs/remotes/origin/${branchPrefix}*`,
    ]);
    return (await this.run(['rev-parse', '--verify', `refs/remotes/origin/${base}^{commit}`])).trim();
  }

  async remoteBranch(branch: string): Promise<string | undefined> {
    return (await this.maybe(['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`]))?.trim();
  }

  /**
   * Whether `commit` is what propose pushes: one commit whose parent is on the base branch (`base` or before it).
   * A proposal branch with anything more on it holds someone else's work.
   */
  async isOneCommitOnBase(commit: string, base: string): Promise<boolean> {
    const parents = (await this.run(['rev-list', '--parents', '-n', '1', commit])).trim().split(' ').slice(1);
    const [parent] = parents;
    if (parents.length !== 1 || parent === undefined) return false;
    return (await this.maybe(['merge-base', '--is-ancestor', parent, base])) !== undefined;
  }

  /** A file's text at a commit, or undefined when it does not exist there. */
  async show(commit: string, path: string): Promise<string | undefined> {
    return this.maybe(['show', `${commit}:${path}`]);
  }

  /** The last commit at or before `date` reachable from `commit`, or undefined when history starts later. */
  async commitAsOf(commit: string, date: string): Promise<string | undefined> {
    const sha = (await this.run(['rev-list', '-1', `--before=${date}`, commit])).trim();
    return sha === '' ? undefined : sha;
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
  }

  async remoteUrl(): Promise<string | undefined> {
    return (await this.maybe(['remote', 'get-url', 'origin']))?.trim();
  }

  /** A commit on `parent` that replaces one file, built without a working tree. */
  async commitFile(
    parent: string,
    path: string,
    text: string,
    message: string,
    author: { name: string; email: string } | undefined,
  ): Promise<string> {
    const entry = (await this.run(['ls-tree', parent, '--', path])).trim();
    const mode = /^(\d+) blob /.exec(entry)?.[1] ?? '100644';
    const blob = (await this.run(['hash-object', '-w', '--stdin'], { input: text })).trim();
    const dir = await mkdtemp(join(tmpdir(), 'iamgen-index-'));
    try {
      const env = { GIT_INDEX_FILE: join(dir, 'index') };
      await this.run(['read-tree', parent], { env });
      await this.run(['update-index', '--cacheinfo', `${mode},${blob},${path}`], { env });
      const tree = (await this.run(['write-tree'], { env })).trim();
      const identity =
        author === undefined
          ? await this.#identity()
          : { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email };
      return (
        await this.run(['commit-tree', tree, '-p', parent, '-F', '-'], {
          input: message,
          env: {
            ...identity,
            GIT_COMMITTER_NAME: identity.GIT_AUTHOR_NAME ?? '',
            GIT_COMMITTER_EMAIL: identity.GIT_AUTHOR_EMAIL ?? '',
          },
        })
      ).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The configured identity, or a neutral one: CI checkouts usually have none. */
  async #identity(): Promise<Record<string, string>> {
    const name = (await this.maybe(['config', 'user.name']))?.trim();
    const email = (await this.maybe(['config', 'user.email']))?.trim();
    return {
      GIT_AUTHOR_NAME: name || 'iamgen',
      GIT_AUTHOR_EMAIL: email || 'iamgen@users.noreply.github.com',
    };
  }

  /** Pushes a commit to a branch, only if the branch is still where this run saw it (or still absent). */
  async push(commit: string, branch: string, expected: string | undefined): Promise<void> {
    await this.run([
      'push',
      '--quiet',
      `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`,
      'origin',
      `${commit}:refs/heads/${branch}`,
    ]);
  }
}
