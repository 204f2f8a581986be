import { createServer, type IncomingMessage, type Server } from 'node:http';
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
  /** Answer the next matching calls with this status (to test API failures). */
  failNext: { method: string; status: number; times: number } | undefined;
  #server: Server | undefined;

  constructor(
    readonly token: string,
    readonly repository: string,
  ) {}

  async start(): Promise<string> {
    this.#server = createServer((request, response) => {
      void this.#handle(request).then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }

  /** Calls that change something on GitHub. */
  writes(): FakeCall[] {
    return this.calls.filter((call) => call.method !== 'GET');
  }

  async #handle(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
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
      return { status: this.failNext.status, body: { message: 'Server Error' } };
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
