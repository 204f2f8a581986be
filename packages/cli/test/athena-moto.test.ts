import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AthenaClient, GetQueryExecutionCommand, StopQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { ActivityRow } from '@iamgen/athena-queries';
import { projectionTwin } from '@iamgen/athena-queries';
import { loadIamCatalog, resourceRequestFields } from '@iamgen/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import { localRecords } from './athena-twin.js';
import type { Moto } from './moto.js';
import { motoAvailable, seedAthenaRows, startMoto } from './moto.js';
import { reliability } from './reliability.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const samples = ['orders-api', 'image-processor', 'ci-deploy'].map((s) => join(root, 'samples', s, 'logs'));
const window = ['--since', '2024-04-01', '--until', '2024-06-01'];
const credentials = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_SESSION_TOKEN: 'testing' };

/** What the proxy in front of moto does with one Athena call: answer it itself, never answer, or rewrite moto's answer. */
type Fault =
  | { readonly status: number; readonly json: unknown }
  | { readonly status: number; readonly text: string }
  | { readonly hang: true }
  | { readonly rewrite: (json: Record<string, unknown>, request: Record<string, unknown>) => Record<string, unknown> };

/**
 * A loopback proxy in front of moto that can inject what moto cannot produce (failed queries, access denied,
 * throttling, expired credentials), at the wire level, so the real SDK client meets them as it would from AWS.
 */
async function startFaultProxy(target: string) {
  const calls: string[] = [];
  const started: string[] = [];
  let inject: (operation: string, call: number) => Fault | undefined = () => undefined;
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      const operation = String(request.headers['x-amz-target'] ?? '').replace(/^AmazonAthena\./, '');
      calls.push(operation);
      const fault = inject(operation, calls.filter((c) => c === operation).length);
      if (fault !== undefined && 'hang' in fault) return;
      if (fault !== undefined && 'text' in fault) {
        response.writeHead(fault.status, { 'content-type': 'text/plain' });
        response.end(fault.text);
        return;
      }
      if (fault !== undefined && 'status' in fault) {
        response.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(fault.json));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([k]) => k !== 'host' && k !== 'content-length'),
      ) as Record<string, string>;
      const upstream = await fetch(`${target}${request.url ?? '/'}`, {
        method: request.method ?? 'POST',
        headers,
        ...(chunks.length === 0 ? {} : { body: Buffer.concat(chunks) }),
      });
      let body = await upstream.text();
      if (fault !== undefined && 'rewrite' in fault && upstream.ok) {
        const sent = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
        body = JSON.stringify(fault.rewrite(JSON.parse(body), sent));
      }
      if (operation === 'StartQueryExecution' && upstream.ok) started.push(JSON.parse(body).QueryExecutionId);
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
      response.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    started,
    set(rule: (operation: string, call: number) => Fault | undefined) {
      inject = rule;
      calls.length = 0;
      started.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Requests the proxy left hanging would keep it open.
        server.closeAllConnections();
      }),
  };
}

const athenaError = (type: string, message: string, status = 400): Fault => ({
  status,
  json: { __type: type, Message: message },
});

describe.skipIf(!motoAvailable())('from-trail --athena-table (moto Athena)', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let dir: string;
  let athena: AthenaClient;
  const children = new Set<ChildProcess>();
  const saved = { ...process.env };

  /** Queues the rows moto returns for the next query: the header row first, as Athena sends it. */
  async function seed(rows: readonly ActivityRow[]) {
    expect(await seedAthenaRows(moto.endpoint, rows)).toBe(201);
  }

  async function setTransition(transition: unknown) {
    const path = transition === undefined ? 'unset-transition' : 'set-transition';
    await fetch(`${moto.endpoint}/moto-api/state-manager/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_name: 'athena::execution', transition }),
    });
  }

  const viaAthena = (...flags: string[]) => [
    'from-trail',
    ...flags,
    '--athena-table',
    'security.cloudtrail',
    '--athena-regions',
    'us-east-1',
    '--athena-workgroup',
    'primary',
    '--athena-output',
    's3://athena-results/iamgen/',
    '--endpoint-url',
    proxy.endpoint,
    '--region',
    'us-east-1',
    ...window,
  ];

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    dir = await mkdtemp(join(tmpdir(), 'iamgen-athena-'));
    Object.assign(process.env, credentials);
    athena = new AthenaClient({ region: 'us-east-1', endpoint: moto.endpoint });
  });
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
    proxy.set(() => undefined);
    await setTransition(undefined);
    // Seeded results wait in a queue until a query takes them; a test whose query never started leaves them.
    await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
  });
  afterAll(async () => {
    process.env = saved;
    await proxy?.close();
    await moto?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the reviewed query and prints the policy the local logs give', async () => {
    const catalog = await loadIamCatalog();
    const records = await localRecords([samples[0] ?? '']);
    await seed(
      projectionTwin(
        records.map((r) => r.record),
        resourceRequestFields(catalog),
      ),
    );
    const report = join(dir, 'report.json');
    const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler', '--report', report), root);
    const local = await runCliCaptured(
      ['from-trail', '--role', 'orders-api-handler', '--events', samples[0] ?? '', ...window],
      root,
    );
    expect(result.stderr).toMatch(
      /^athena: query [0-9a-f-]{36} SUCCEEDED, \d+ rows, scanned 0\.0 MB, cost \$0\.000048 \(at \$5\/TB, 10 MB minimum\)$/m,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(local.stdout);

    // What ran is exactly what `iamgen athena query` prints for the same flags.
    const { athena: summary } = JSON.parse(await readFile(report, 'utf8'));
    expect(summary).toMatchObject({ state: 'SUCCEEDED', dataScannedBytes: 0, costUsd: (10 * 5) / 1024 ** 2 });
    const printed = await runCliCaptured(
      [
        'athena',
        'query',
        '--table',
        'security.cloudtrail',
        '--role',
        'orders-api-handler',
        '--regions',
        'us-east-1',
        ...window,
        '--format',
        'json',
      ],
      root,
    );
    const reviewed = JSON.parse(printed.stdout);
    const ran = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: summary.queryId }));
    expect(ran.QueryExecution?.Query).toBe(reviewed.sql);
    expect(ran.QueryExecution?.ExecutionParameters).toEqual(reviewed.parameters);
    expect(ran.QueryExecution?.QueryExecutionContext).toEqual({ Database: 'security' });
    expect(ran.QueryExecution?.WorkGroup).toBe('primary');
  });

  it('serves every principal from one query, file for file as the local read', async () => {
    const catalog = await loadIamCatalog();
    const records = await localRecords(samples);
    await seed(
      projectionTwin(
        records.map((r) => r.record),
        resourceRequestFields(catalog),
      ),
    );
    const viaRows = join(dir, 'athena-all');
    const viaFiles = join(dir, 'local-all');
    // Athena pages results; moto does not, so the proxy serves moto's rows five at a time with NextToken.
    proxy.set((operation) =>
      operation === 'GetQueryResults'
        ? {
            rewrite: (json, request) => {
              const resultSet = json.ResultSet as { Rows: unknown[] };
              const start = Number(request.NextToken ?? 0);
              const next = start + 5 < resultSet.Rows.length ? { NextToken: String(start + 5) } : {};
              return { ...json, ResultSet: { ...resultSet, Rows: resultSet.Rows.slice(start, start + 5) }, ...next };
            },
          }
        : undefined,
    );
    const result = await runCliCaptured(viaAthena('--all', '--out-dir', viaRows), root);
    expect(result.code).toBe(0);
    // The run's index says what the one query cost, as each principal's report does.
    const index = JSON.parse(await readFile(join(viaRows, 'report.json'), 'utf8'));
    expect(index.athena).toEqual({
      queryId: proxy.started[0],
      state: 'SUCCEEDED',
      dataScannedBytes: 0,
      costUsd: (10 * 5) / 1024 ** 2,
      rows: expect.any(Number),
    });
    expect(index.athena.rows).toBeGreaterThan(0);
    expect(index.principals[0].report.athena).toEqual(index.athena);
    expect(proxy.calls.filter((c) => c === 'GetQueryResults').length).toBeGreaterThan(2);
    expect(proxy.calls.filter((c) => c === 'StartQueryExecution')).toHaveLength(1);
    const local = await runCliCaptured(
      ['from-trail', '--all', ...samples.flatMap((s) => ['--events', s]), ...window, '--out-dir', viaFiles],
      root,
    );
    expect(local.code).toBe(0);
    const policies = (await readdir(viaFiles)).filter((f) => f !== 'report.json').sort();
    expect(policies.length).toBeGreaterThanOrEqual(3);
    expect((await readdir(viaRows)).filter((f) => f !== 'report.json').sort()).toEqual(policies);
    for (const file of policies) {
      expect(await readFile(join(viaRows, file), 'utf8')).toBe(await readFile(join(viaFiles, file), 'utf8'));
    }
  });

  it(
    '[reliability] Athena throttling and server errors: retries throttling and server errors within its bound',
    reliability({
      area: 'fault',
      fault: 'Athena GetQueryExecution throttled (400), then 500',
      produced: 'loopback proxy in front of moto answers ThrottlingException, then InternalServerException',
      expected: 'retried with backoff; exit 0; the policy',
    }),
    async () => {
      const catalog = await loadIamCatalog();
      const records = await localRecords([samples[0] ?? '']);
      await seed(
        projectionTwin(
          records.map((r) => r.record),
          resourceRequestFields(catalog),
        ),
      );
      proxy.set((operation, call) =>
        operation === 'GetQueryExecution' && call <= 2
          ? athenaError(
              call === 1 ? 'ThrottlingException' : 'InternalServerException',
              'slow down',
              call === 1 ? 400 : 500,
            )
          : undefined,
      );
      const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler'), root);
      expect(proxy.calls.filter((c) => c === 'GetQueryExecution').length).toBeGreaterThanOrEqual(3);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout).Statement.length).toBeGreaterThan(0);
    },
  );

  it('an --athena-timeout longer than a timer can hold does not end the query at once', async () => {
    await seed([]);
    const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler', '--athena-timeout', '3000000'), root);
    expect(result.stderr).toMatch(/^athena: query \S+ SUCCEEDED, 0 rows/m);
    expect(proxy.calls).not.toContain('StopQueryExecution');
  });

  it.each([
    [
      'a failed query',
      (operation: string) =>
        operation === 'GetQueryExecution'
          ? {
              rewrite: (json: Record<string, unknown>) => {
                const execution = json.QueryExecution as Record<string, unknown>;
                return {
                  QueryExecution: {
                    ...execution,
                    Status: {
                      State: 'FAILED',
                      StateChangeReason:
                        "TABLE_NOT_FOUND: line 19:6: Table 'awsdatacatalog.security.cloudtrail' does not exist",
                    },
                  },
                };
              },
            }
          : undefined,
      /^iamgen: Athena query [0-9a-f-]+ FAILED: TABLE_NOT_FOUND: .*does not exist$/,
    ],
    [
      'access denied',
      (operation: string) =>
        operation === 'StartQueryExecution'
          ? athenaError(
              'AccessDeniedException',
              'User: arn:aws:sts::123456789012:assumed-role/dev/me is not authorized to perform: athena:StartQueryExecution',
            )
          : undefined,
      /^iamgen: Athena StartQueryExecution failed: access denied: User: .* not authorized to perform: athena:StartQueryExecution$/,
    ],
    [
      'expired credentials',
      (operation: string) =>
        operation === 'StartQueryExecution'
          ? athenaError('ExpiredTokenException', 'The security token included in the request is expired')
          : undefined,
      /^iamgen: Athena StartQueryExecution failed: the AWS credentials have expired: /,
    ],
    [
      'a workgroup that does not exist',
      (operation: string) =>
        operation === 'StartQueryExecution'
          ? athenaError('InvalidRequestException', 'WorkGroup primary is not found')
          : undefined,
      /^iamgen: Athena StartQueryExecution failed: InvalidRequestException: WorkGroup primary is not found$/,
    ],
    [
      'server errors that never end',
      (operation: string) =>
        operation === 'GetQueryExecution'
          ? athenaError('InternalServerException', 'We encountered an error', 500)
          : undefined,
      /^iamgen: Athena GetQueryExecution failed: InternalServerException: We encountered an error$/,
    ],
    [
      'a plain-text 503 from something in front of Athena',
      (operation: string) =>
        operation === 'StartQueryExecution' ? { status: 503, text: 'Service Unavailable' } : undefined,
      /^iamgen: Athena StartQueryExecution failed: HTTP 503 with an answer that is not JSON$/,
    ],
  ])(
    '%s: one clear line, exit 1, no policy',
    async (_, rule, message) => {
      await seed([]);
      proxy.set(rule);
      const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler'), root);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(message);
    },
    30_000,
  );

  it(
    '[reliability] Athena rows: a row it cannot read fails the run rather than grant too little',
    reliability({
      area: 'fault',
      fault: 'an Athena result row iamgen cannot read',
      produced: 'loopback proxy rewrites a result row',
      expected: 'one line naming the query and row, exit 1, no policy',
    }),
    async () => {
      const catalog = await loadIamCatalog();
      const records = await localRecords([samples[0] ?? '']);
      const rows = projectionTwin(
        records.map((r) => r.record),
        resourceRequestFields(catalog),
      );
      await seed([...rows, { ...rows[0], request_subset: '{"bucketName": tru' }]);
      const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler'), root);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(
          `^iamgen: Athena query \\S+ returned a row iamgen cannot read \\(row ${rows.length + 1}: .*not JSON\\)\n$`,
        ),
      );
    },
  );

  it.each([
    ['event_count', '0x10', 'event_count "0x10"'],
    ['event_count', ' 5', 'event_count " 5"'],
  ])(
    'a row whose %s is %j fails the run: one line naming the row and column, exit 1, no policy',
    async (column, value, reason) => {
      const catalog = await loadIamCatalog();
      const records = await localRecords([samples[0] ?? '']);
      const rows = projectionTwin(
        records.map((r) => r.record),
        resourceRequestFields(catalog),
      );
      await seed([...rows, { ...rows[0], [column]: value }]);
      const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler'), root);
      const queryId = proxy.started.at(-1) ?? '';
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `iamgen: Athena query ${queryId} returned a row iamgen cannot read (row ${rows.length + 1}: ${reason})\n`,
      );
    },
  );

  it('a query cancelled in Athena fails the run', async () => {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    const run = runCliCaptured(viaAthena('--role', 'orders-api-handler'), root);
    const queryId = await startedQuery();
    await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }));
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`iamgen: Athena query ${queryId} was cancelled; no policy was produced\n`);
  });

  it('a query past --athena-timeout is stopped and fails the run', async () => {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler', '--athena-timeout', '1'), root);
    const queryId = proxy.started.at(-1) ?? '';
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`iamgen: Athena query ${queryId} did not finish within 1 s; it was stopped\n`);
    const stopped = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    expect(stopped.QueryExecution?.Status?.State).toBe('CANCELLED');
  });

  it('[reliability] SIGINT during an Athena query: Ctrl-C stops the query in Athena and ends the run with 130', {
    ...reliability({
      area: 'signal',
      fault: 'SIGINT (Ctrl-C) while an Athena query runs',
      produced: 'the built binary polls a query moto keeps running; the test sends SIGINT',
      expected: 'the query is stopped in Athena (CANCELLED), one line, exit 130, no policy',
    }),
    timeout: 30_000,
  }, async () => {
    await interruptQuery('SIGINT', 130);
  });

  it('[reliability] SIGTERM during an Athena query: the query is stopped in Athena and the run ends with 143', {
    ...reliability({
      area: 'signal',
      fault: 'SIGTERM (a scheduler stopping the job) while an Athena query runs',
      produced: 'the built binary polls a query moto keeps running; the test sends SIGTERM',
      expected: 'StopQueryExecution is sent (CANCELLED), one line, exit 143, no policy',
    }),
    timeout: 30_000,
  }, async () => {
    await interruptQuery('SIGTERM', 143);
  });

  const byHand = (queryId: string) =>
    `stop it with: aws athena stop-query-execution --query-execution-id ${queryId} --region us-east-1`;
  const denyStop = (operation: string) =>
    operation === 'StopQueryExecution'
      ? athenaError('AccessDeniedException', 'User is not authorized to perform: athena:StopQueryExecution')
      : undefined;

  it('a query past --athena-timeout that Athena refuses to stop: the line says so and how to stop it by hand', async () => {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    proxy.set(denyStop);
    const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler', '--athena-timeout', '1'), root);
    const queryId = proxy.started.at(-1) ?? '';
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `iamgen: Athena query ${queryId} did not finish within 1 s and could not be stopped (access denied); ${byHand(queryId)}\n`,
    );
    const left = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    expect(left.QueryExecution?.Status?.State).not.toBe('CANCELLED');
  });

  it('a StopQueryExecution that never answers is given up after 5 s, and the line says so', async () => {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    proxy.set((operation) => (operation === 'StopQueryExecution' ? { hang: true } : undefined));
    const started = Date.now();
    const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler', '--athena-timeout', '1'), root);
    const queryId = proxy.started.at(-1) ?? '';
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `iamgen: Athena query ${queryId} did not finish within 1 s and could not be stopped (no answer within 5 s); ${byHand(queryId)}\n`,
    );
  }, 30_000);

  it('a failed poll whose StopQueryExecution is refused: the line adds that the query runs on', async () => {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    proxy.set((operation) =>
      operation === 'GetQueryExecution'
        ? athenaError('ExpiredTokenException', 'The security token included in the request is expired')
        : denyStop(operation),
    );
    const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler'), root);
    const queryId = proxy.started.at(-1) ?? '';
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `iamgen: Athena GetQueryExecution failed: the AWS credentials have expired: The security token included in the request is expired; Athena query ${queryId} could not be stopped (access denied); ${byHand(queryId)}\n`,
    );
  });

  it('SIGINT when Athena refuses StopQueryExecution: exit 130, the line says the query runs on', async () => {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    proxy.set(denyStop);
    const run = runBinary(viaAthena('--role', 'app'));
    const queryId = await startedQuery();
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.exit;
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `iamgen: interrupted (SIGINT); Athena query ${queryId} could not be stopped (access denied); ${byHand(queryId)}\n`,
    );
  }, 30_000);

  it('SIGINT while a GetQueryExecution call hangs: the call is cut short and the query stopped', async () => {
    await seed([]);
    proxy.set((operation) => (operation === 'GetQueryExecution' ? { hang: true } : undefined));
    const run = runBinary(viaAthena('--role', 'app'));
    const queryId = await startedQuery();
    const sent = Date.now();
    run.child.kill('SIGINT');
    const { code, stderr } = await run.exit;
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(code).toBe(130);
    expect(stderr).toBe(`iamgen: interrupted (SIGINT); Athena query ${queryId} was stopped\n`);
    const stopped = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    expect(stopped.QueryExecution?.Status?.State).toBe('CANCELLED');
  }, 30_000);

  it('--athena-timeout holds while a GetQueryExecution call hangs: the call is cut short and the query stopped', async () => {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    // The first poll answers (RUNNING), the next ones never do.
    proxy.set((operation, call) => (operation === 'GetQueryExecution' && call > 1 ? { hang: true } : undefined));
    const started = Date.now();
    const result = await runCliCaptured(viaAthena('--role', 'orders-api-handler', '--athena-timeout', '2'), root);
    const queryId = proxy.started.at(-1) ?? '';
    expect(Date.now() - started).toBeLessThan(8000);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`iamgen: Athena query ${queryId} did not finish within 2 s; it was stopped\n`);
    const stopped = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    expect(stopped.QueryExecution?.Status?.State).toBe('CANCELLED');
  }, 30_000);

  it('SIGTERM while StartQueryExecution hangs: exit 143 within seconds, the line says no query id is known', async () => {
    await seed([]);
    proxy.set((operation) => (operation === 'StartQueryExecution' ? { hang: true } : undefined));
    const run = runBinary(viaAthena('--role', 'app'));
    for (let i = 0; i < 400 && !proxy.calls.includes('StartQueryExecution'); i += 1)
      await new Promise((r) => setTimeout(r, 25));
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const { code, stderr } = await run.exit;
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(code).toBe(143);
    expect(stderr).toBe(
      "iamgen: interrupted (SIGTERM) before Athena StartQueryExecution answered; if a query started, it was not stopped (see the workgroup's query history)\n",
    );
    expect(proxy.calls).not.toContain('StopQueryExecution');
  }, 30_000);

  /** Runs the built binary on a query moto keeps running, sends `signal` once it polls, and checks how it ends. */
  async function interruptQuery(signal: 'SIGINT' | 'SIGTERM', exitCode: number) {
    await seed([]);
    await setTransition({ progression: 'manual', times: 1_000_000 });
    const run = runBinary(viaAthena('--role', 'app'));
    const queryId = await startedQuery();
    run.child.kill(signal);
    const { code, stdout, stderr } = await run.exit;
    // Like any interrupted run: 128 + the signal's number, one line.
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toBe(`iamgen: interrupted (${signal}); Athena query ${queryId} was stopped\n`);
    expect(proxy.calls.filter((c) => c === 'StopQueryExecution')).toHaveLength(1);
    const stopped = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    expect(stopped.QueryExecution?.Status?.State).toBe('CANCELLED');
  }

  /** The built binary on `argv`, with what it printed and its exit code; killed if it outlives the test. */
  function runBinary(argv: string[]) {
    const child = spawn(process.execPath, [join(root, 'packages/cli/dist/bin.js'), ...argv], {
      // The SDK warns on stderr that Node 20 support ends in 2027; that is not what these tests read.
      env: { ...process.env, ...credentials, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exit = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
    return { child, exit };
  }

  /** The id of the query the CLI started, once it polls it. */
  async function startedQuery(): Promise<string> {
    for (let i = 0; i < 400; i += 1) {
      const id = proxy.started.at(-1);
      if (id !== undefined && proxy.calls.includes('GetQueryExecution')) return id;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the CLI did not start a query');
  }
});
