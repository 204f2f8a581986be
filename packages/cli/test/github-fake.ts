import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  state: 'open' | 'closed';
  merged_at: string | null;
  draft: boolean;
  labels: string[];
  reviewers: string[];
  team_reviewers: string[];
  comments: string[];
}

/**
 * Faults GitHub and the network produce: the primary rate limit spent (403, `x-ratelimit-remaining: 0`), a
 * secondary rate limit (429 with `retry-after`), a request left unanswered, a socket destroyed before any
 * answer, and one destroyed halfway through the body.
 */
export type NetworkFault = 'rate-limit' | 'secondary-limit' | 'hang' | 'reset' | 'cut-body';

type Answer = { status: number; body: unknown; headers?: Record<string, string> } | { fault: NetworkFault };

export interface FakeCall {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/**
 * The part of the GitHub REST API that `propose` uses, as GitHub answers it: list pulls by head, create and
 * update a pull, add labels, request reviewers. It checks the token on every request.
 */
export class FakeGitHub {
  readonly pulls: FakePull[] = [];
  readonly calls: FakeCall[] = [];
  /** Answer the next `times` calls of `method` with this status or fault (to test API failures and retries). */
  failNext: { method: string; status: number | NetworkFault; times: number } | undefined;
  /** Calls answered with a fault, in order. */
  readonly faulted: string[] = [];
  #server: Server | undefined;

  constructor(
    readonly token: string,
    readonly repository: string,
  ) {}

  async start(): Promise<string> {
    this.#server = createServer((request, response) => {
      void this.#handle(request).then((answer) => {
        if ('fault' in answer) return this.#misbehave(answer.fault, response);
        response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  #misbehave(fault: NetworkFault, response: ServerResponse): void {
    const now = Math.floor(Date.now() / 1000);
    const json = { 'content-type': 'application/json; charset=utf-8' };
    if (fault === 'rate-limit') {
      response.writeHead(403, { ...json, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now) });
      response.end(JSON.stringify({ message: 'API rate limit exceeded for installation ID 1.' }));
    } else if (fault === 'secondary-limit') {
      response.writeHead(429, { ...json, 'retry-after': '1' });
      response.end(JSON.stringify({ message: 'You have exceeded a secondary rate limit. Please wait.' }));
    } else if (fault === 'reset') {
      response.socket?.destroy();
    } else if (fault === 'cut-body') {
      response.writeHead(200, { ...json, 'content-length': '4096' });
      response.write('[{"number": 1, ');
      setTimeout(() => response.socket?.destroy(), 20);
    }
    // 'hang': never answer; the client's timeout ends the attempt and stop() the socket.
  }

  /** Calls that change something on GitHub. */
  writes(): FakeCall[] {
    return this.calls.filter((call) => call.method !== 'GET');
  }

  async #handle(request: IncomingMessage): Promise<Answer> {
    let text = '';
    for await (const chunk of request) text += chunk;
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    this.calls.push({ method, path: `${url.pathname}${url.search}`, body });
    if (request.headers.authorization !== `token ${this.token}`)
      return { status: 401, body: { message: 'Bad credentials' } };
    if (this.failNext?.method === method && this.failNext.times > 0) {
      this.failNext.times -= 1;
      const { status } = this.failNext;
      this.faulted.push(`${method} ${url.pathname} ${status}`);
      return typeof status === 'number' ? { status, body: { message: 'Server Error' } } : { fault: status };
    }
    const prefix = `/repos/${this.repository}`;
    if (!url.pathname.startsWith(prefix)) return { status: 404, body: { message: 'Not Found' } };
    const path = url.pathname.slice(prefix.length);
    const [owner] = this.repository.split('/');
    if (method === 'GET' && path === '/pulls') {
      const head = url.searchParams.get('head');
      const state = url.searchParams.get('state') ?? 'open';
      const found = this.pulls
        .filter((p) => head === null || `${owner}:${p.head.ref}` === head)
        .filter((p) => state === 'all' || p.state === state)
        .sort((a, b) => b.number - a.number);
      return { status: 200, body: found.map((p) => this.#render(p)) };
    }
    if (method === 'POST' && path === '/pulls') {
      const head = String(body.head);
      if (this.pulls.some((p) => p.head.ref === head && p.state === 'open'))
        return { status: 422, body: { message: 'Validation Failed: a pull request already exists' } };
      const pull: FakePull = {
        number: this.pulls.length + 1,
        title: String(body.title),
        body: String(body.body),
        head: { ref: head, sha: 'unknown' },
        base: { ref: String(body.base) },
        state: 'open',
        merged_at: null,
        draft: body.draft === true,
        labels: [],
        reviewers: [],
        team_reviewers: [],
        comments: [],
      };
      this.pulls.push(pull);
      return { status: 201, body: this.#render(pull) };
    }
    const pullMatch = /^\/pulls\/(\d+)(\/requested_reviewers)?$/.exec(path);
    const issueMatch = /^\/issues\/(\d+)\/(labels|comments)$/.exec(path);
    const pull = this.pulls.find((p) => p.number === Number(pullMatch?.[1] ?? issueMatch?.[1]));
    if (pull === undefined) return { status: 404, body: { message: 'Not Found' } };
    if (method === 'PATCH' && pullMatch !== null && pullMatch[2] === undefined) {
      if (typeof body.title === 'string') pull.title = body.title;
      if (typeof body.body === 'string') pull.body = body.body;
      if (body.state === 'open' || body.state === 'closed') pull.state = body.state;
      return { status: 200, body: this.#render(pull) };
    }
    if (method === 'POST' && pullMatch?.[2] !== undefined) {
      const unknown = ((body.reviewers as string[] | undefined) ?? []).filter((r) => r.startsWith('nobody'));
      if (unknown.length > 0)
        return { status: 422, body: { message: `Reviews may only be requested from collaborators: ${unknown}` } };
      pull.reviewers.push(...((body.reviewers as string[] | undefined) ?? []));
      pull.team_reviewers.push(...((body.team_reviewers as string[] | undefined) ?? []));
      return { status: 201, body: this.#render(pull) };
    }
    if (method === 'POST' && issueMatch?.[2] === 'comments') {
      pull.comments.push(String(body.body));
      return { status: 201, body: { id: pull.comments.length, body: body.body } };
    }
    if (method === 'POST' && issueMatch !== null) {
      pull.labels.push(...((body.labels as string[] | undefined) ?? []));
      return { status: 200, body: pull.labels.map((name, id) => ({ id, name })) };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  #render(pull: FakePull): Record<string, unknown> {
    return {
      ...pull,
      id: pull.number,
      html_url: `https://github.example/${this.repository}/pull/${pull.number}`,
      labels: pull.labels.map((name) => ({ name })),
    };
  }
}
