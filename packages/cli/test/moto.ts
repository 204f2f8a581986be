import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { ActivityRow } from '@iamgen/athena-queries';
import { activityColumnNames } from '@iamgen/athena-queries';

/** Whether the machine has moto's server (the IAM, S3 and Athena wire protocol on loopback). */
export function motoAvailable(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts `moto_server` on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok || response.status < 500) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error('moto_server did not start within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

/**
 * Queues the rows moto's Athena answers the next query with, through its `/moto-api/static/athena/query-results`:
 * the header row first, as Athena sends it. Returns the HTTP status (201 when queued).
 */
export async function seedAthenaRows(endpoint: string, rows: readonly ActivityRow[]): Promise<number> {
  const cell = (value: string | null | undefined) =>
    value === null || value === undefined ? {} : { VarCharValue: value };
  const response = await fetch(`${endpoint}/moto-api/static/athena/query-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      results: [
        {
          rows: [
            { Data: activityColumnNames.map((name) => cell(name)) },
            ...rows.map((row) => ({ Data: activityColumnNames.map((name) => cell(row[name])) })),
          ],
          column_info: activityColumnNames.map((name) => ({ Name: name, Type: 'varchar', Nullable: 'UNKNOWN' })),
        },
      ],
    }),
  });
  return response.status;
}
