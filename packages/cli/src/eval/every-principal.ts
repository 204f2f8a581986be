import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IamCatalog, PolicyDocument } from '@iamgen/core';
import { runCliCaptured } from '../run-captured.js';

export interface PrincipalRun {
  readonly principal: string;
  readonly exitCode: number;
  readonly statements: number;
  /** Actions in the printed policy that the IAM catalog does not know (must stay empty). */
  readonly nonexistentActions: readonly string[];
  readonly unmappedEvents: number;
  readonly error?: string;
}

/**
 * Runs `from-trail` end to end, as a user would, for every role and user `roles` lists in a dataset:
 * each run must complete and print only actions that exist.
 */
export async function runEveryPrincipal(dataset: string, catalog: IamCatalog): Promise<PrincipalRun[]> {
  const census = await runCliCaptured(['roles', '--events', dataset, '--format', 'json'], process.cwd());
  if (census.code !== 0) return [];
  const principals = (JSON.parse(census.stdout) as { principals: { arn: string; kind: string }[] }).principals.filter(
    (p) => p.kind === 'role' || p.kind === 'user' || p.kind === 'federated-user',
  );
  const scratch = await mkdtemp(join(tmpdir(), 'iamgen-eval-'));
  try {
    const runs: PrincipalRun[] = [];
    for (const [i, principal] of principals.entries()) {
      const report = join(scratch, `${i}.json`);
      const flag = principal.kind === 'role' ? '--role' : '--user';
      const result = await runCliCaptured(
        ['from-trail', flag, principal.arn, '--events', dataset, '--report', report],
        process.cwd(),
      );
      if (result.code !== 0) {
        runs.push({
          principal: principal.arn,
          exitCode: result.code,
          statements: 0,
          nonexistentActions: [],
          unmappedEvents: 0,
          error: result.stderr.trim().split('\n').at(-1) ?? '',
        });
        continue;
      }
      const parsed = JSON.parse(result.stdout) as PolicyDocument | PolicyDocument[];
      const statements = (Array.isArray(parsed) ? parsed : [parsed]).flatMap((d) => d.Statement);
      const actions = statements.flatMap((s) => (typeof s.Action === 'string' ? [s.Action] : (s.Action ?? [])));
      const counts = (JSON.parse(await readFile(report, 'utf8')) as { counts: { unmapped: number } }).counts;
      runs.push({
        principal: principal.arn,
        exitCode: result.code,
        statements: statements.length,
        nonexistentActions: actions.filter((action) => catalog.actionByQualifiedName(action) === undefined),
        unmappedEvents: counts.unmapped,
      });
    }
    return runs;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
