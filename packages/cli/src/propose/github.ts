import { Octokit } from '@octokit/rest';
import { UsageError } from '../cli-io.js';
import { redact } from './git.js';

export interface PullRequest {
  readonly number: number;
  readonly url: string;
  readonly state: 'open' | 'closed';
  readonly merged: boolean;
  readonly headSha: string;
}

export interface PullRequestContent {
  readonly title: string;
  readonly body: string;
}

/** The calls `propose` makes, so the run reads as what it does and tests can count them. */
export interface PullRequests {
  /** The open pull request from `branch`, else the most recent closed one, else undefined. */
  find(branch: string): Promise<PullRequest | undefined>;
  create(branch: string, base: string, content: PullRequestContent, draft: boolean): Promise<PullRequest>;
  update(number: number, content: PullRequestContent): Promise<void>;
  /** Closes a pull request with a comment saying why. */
  close(number: number, comment: string): Promise<void>;
  label(number: number, labels: readonly string[]): Promise<void>;
  requestReviews(number: number, reviewers: readonly string[]): Promise<void>;
}

/** A GitHub API failure, its message free of the token. */
export class GitHubError extends Error {
  override readonly name = 'GitHubError';
}

export interface GitHubSettings {
  readonly token: string;
  readonly apiUrl: string;
  readonly owner: string;
  readonly repo: string;
}

/**
 * Where to open pull requests, from the variables GitHub Actions sets (so Enterprise works unchanged):
 * GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY; the repository falls back to the `origin` remote's URL.
 */
export function gitHubSettings(
  env: Readonly<Record<string, string | undefined>>,
  originUrl: string | undefined,
): GitHubSettings {
  const token = env.GITHUB_TOKEN;
  if (token === undefined || token === '')
    throw new UsageError('set GITHUB_TOKEN to open pull requests (or run with --dry-run)');
  const repository = env.GITHUB_REPOSITORY || repositoryOfUrl(originUrl);
  const match = repository === undefined ? null : /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
  if (match === null)
    throw new UsageError('set GITHUB_REPOSITORY=owner/name: the origin remote does not name a GitHub repository');
  return {
    token,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    owner: match[1] ?? '',
    repo: match[2] ?? '',
  };
}

/** `owner/name` from `git@host:owner/name.git`, `https://host/owner/name(.git)` and the like. */
function repositoryOfUrl(url: string | undefined): string | undefined {
  if (url === undefined || !/^(https?:\/\/|ssh:\/\/|git@)/.test(url)) return undefined;
  const match = /[:/]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  return match === null ? undefined : `${match[1]}/${match[2]}`;
}

export function gitHubPullRequests(settings: GitHubSettings): PullRequests {
  const octokit = new Octokit({
    auth: settings.token,
    baseUrl: settings.apiUrl,
    userAgent: 'iamgen-propose',
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const { owner, repo } = settings;
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      const status =
        typeof error === 'object' && error !== null && 'status' in error ? ` (${String(error.status)})` : '';
      const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      throw new GitHubError(redact(`GitHub ${what}${status}: ${message}`, [settings.token]));
    }
  };
  const toPull = (pull: {
    number: number;
    html_url: string;
    state: string;
    merged_at: string | null;
    head: { sha: string };
  }): PullRequest => ({
    number: pull.number,
    url: pull.html_url,
    state: pull.state === 'open' ? 'open' : 'closed',
    merged: pull.merged_at !== null,
    headSha: pull.head.sha,
  });
  return {
    find: (branch) =>
      call('listing pull requests', async () => {
        const { data } = await octokit.rest.pulls.list({
          owner,
          repo,
          head: `${owner}:${branch}`,
          state: 'all',
          sort: 'created',
          direction: 'desc',
          per_page: 20,
        });
        const mine = data.filter((pull) => pull.head.ref === branch);
        const chosen = mine.find((pull) => pull.state === 'open') ?? mine[0];
        return chosen === undefined ? undefined : toPull(chosen);
      }),
    create: (branch, base, content, draft) =>
      call('creating a pull request', async () => {
        const { data } = await octokit.rest.pulls.create({ owner, repo, head: branch, base, draft, ...content });
        return toPull(data);
      }),
    update: (number, content) =>
      call(`updating pull request #${number}`, async () => {
        await octokit.rest.pulls.update({ owner, repo, pull_number: number, ...content });
      }),
    close: (number, comment) =>
      call(`closing pull request #${number}`, async () => {
        await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: comment });
        await octokit.rest.pulls.update({ owner, repo, pull_number: number, state: 'closed' });
      }),
    label: (number, labels) =>
      call(`labelling pull request #${number}`, async () => {
        if (labels.length > 0)
          await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: [...labels] });
      }),
    requestReviews: (number, reviewers) =>
      call(`requesting reviews on #${number}`, async () => {
        const users = reviewers.filter((r) => !r.includes('/'));
        const teams = reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1));
        if (users.length + teams.length > 0)
          await octokit.rest.pulls.requestReviewers({
            owner,
            repo,
            pull_number: number,
            reviewers: users,
            team_reviewers: teams,
          });
      }),
  };
}
