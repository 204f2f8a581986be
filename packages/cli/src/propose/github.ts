import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import { UsageError } from '../cli-io.js';
import { redact } from './git.js';
import { proposalOf } from './pr-body.js';

export interface PullRequest {
  readonly number: number;
  readonly url: string;
  readonly state: 'open' | 'closed';
  readonly merged: boolean;
  readonly headSha: string;
  /** The proposal its body names (`proposalMarker`), when it has one. */
  readonly proposal?: string;
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

/**
 * How hard `propose` tries GitHub. Throttling (429, 403 with rate-limit headers), 5xx, timeouts and connection
 * resets are retried: 5xx and network faults `attempts` times in all, backing off `backoffMs` × 1, 4, 9…; rate
 * limits wait what GitHub's headers say, unless that is longer than `maxRateLimitWaitS` (a spent hourly quota
 * is better reported than slept through). Tests shorten the waits.
 */
export const gitHubPace = {
  attempts: 4,
  backoffMs: 1000,
  /** Per attempt, the whole response included: a hung connection costs this, never forever. */
  timeoutMs: 60_000,
  /** The unit of the waits GitHub's rate-limit headers give in seconds. */
  secondMs: 1000,
  maxRateLimitWaitS: 120,
  /** GitHub asks integrations to space writes, and more so those that notify people (labels, review requests). */
  writeSpacingMs: 1000,
  notifyingWriteSpacingMs: 3000,
};

export function gitHubPullRequests(settings: GitHubSettings): PullRequests {
  const pace = { ...gitHubPace };
  // Attempts of the request in flight: requests run one at a time, so a repeat of the last one is a retry.
  let last = '';
  let attempts = 0;
  const fetchWhole: typeof fetch = async (input, init) => {
    const key = `${init?.method ?? 'GET'} ${String(input)}`;
    attempts = key === last ? attempts + 1 : 1;
    last = key;
    const signal = AbortSignal.timeout(pace.timeoutMs);
    const response = await fetch(input, { ...init, signal });
    // Read the body here so that a connection cut mid-body, or a body that stalls, fails the attempt as a
    // network fault the retry sees, not later while the answer is parsed.
    const body = await response.arrayBuffer();
    return new Response(body.byteLength === 0 ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  const rateLimited = (after: number, _options: unknown, _octokit: unknown, retryCount: number) =>
    retryCount < pace.attempts - 1 && after <= pace.maxRateLimitWaitS;
  const octokit = new (Octokit.plugin(retry, throttling))({
    auth: settings.token,
    baseUrl: settings.apiUrl,
    userAgent: 'iamgen-propose',
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    request: { fetch: fetchWhole },
    // 403 and 429 are the throttling plugin's, which honours the rate-limit headers; the rest of 4xx are answers.
    retry: {
      retries: pace.attempts - 1,
      retryAfterBaseValue: pace.backoffMs,
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      onRateLimit: rateLimited,
      onSecondaryRateLimit: rateLimited,
      retryAfterBaseValue: pace.secondMs,
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: pace.writeSpacingMs }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: pace.notifyingWriteSpacingMs }),
    },
  });
  const { owner, repo } = settings;
  const call = async <T>(what: string, request: () => Promise<T>): Promise<T> => {
    last = '';
    try {
      return await request();
    } catch (error) {
      // A status only when GitHub answered: Octokit labels a timeout or a reset "500" too.
      const answered =
        typeof error === 'object' && error !== null && 'response' in error && error.response !== undefined;
      const status = answered && 'status' in error ? String(error.status) : '';
      const tries = attempts > 1 ? `after ${attempts} attempts` : '';
      const detail = [status, tries].filter((part) => part !== '').join(' ');
      const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      throw new GitHubError(
        redact(`GitHub ${what}${detail === '' ? '' : ` (${detail})`}: ${message}`, [settings.token]),
      );
    }
  };
  const toPull = (pull: {
    number: number;
    html_url: string;
    state: string;
    merged_at: string | null;
    head: { sha: string };
    body?: string | null;
  }): PullRequest => {
    const proposal = proposalOf(pull.body);
    return {
      number: pull.number,
      url: pull.html_url,
      state: pull.state === 'open' ? 'open' : 'closed',
      merged: pull.merged_at !== null,
      headSha: pull.head.sha,
      ...(proposal === undefined ? {} : { proposal }),
    };
  };
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
