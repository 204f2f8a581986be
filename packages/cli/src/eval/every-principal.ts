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
  /**
   * The `--all --out-dir` run of the same dataset wrote these exact bytes for this principal. Undefined when the two
   * runs do not stand for the same thing: `--all` leaves the principal out (service-linked roles), or the single run's
   * ARN also matched a path-less ARN of the same name, which `--all` keeps apart.
   */
  readonly sameAsAllRun?: boolean;
  readonly error?: string;
}

interface IndexEntry {
  readonly arns: readonly string[];
  readonly status: string;
  readonly file?: string;
}

/** One `from-trail --all --out-dir` run: principal ARN → the bytes written for it. */
async function policiesOfAllRun(dataset: string, scratch: string): Promise<Map<string, string>> {
  const outDir = join(scratch, 'all');
  await runCliCaptured(['from-trail', '--all', '--events', dataset, '--out-dir', outDir], process.cwd());
  const byArn = new Map<string, string>();
  let index: { principals: IndexEntry[] };
  try {
    index = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as { principals: IndexEntry[] };
  } catch {
    return byArn;
  }
  for (const entry of index.principals) {
    const [arn] = entry.arns;
    if (entry.status === 'ok' && entry.file !== undefined && arn !== undefined && entry.arns.length === 1) {
      byArn.set(arn, await readFile(join(outDir, entry.file), 'utf8'));
    }
  }
  return byArn;
}

/**
 * Runs `from-trail` end to end, as a user would, for every role and user `roles` lists in a dataset:
 * each run must complete, print only actions that exist, and print the very bytes one `--all` read wrote for it.
 */
export async function runEveryPrincipal(dataset: string, catalog: IamCatalog): Promise<PrincipalRun[]> {
  const census = await runCliCaptured(['roles', '--events', dataset, '--format', 'json'], process.cwd());
  if (census.code !== 0) return [];
  const principals = (JSON.parse(census.stdout) as { principals: { arn: string; kind: string }[] }).principals.filter(
    (p) => p.kind === 'role' || p.kind === 'user' || p.kind === 'federated-user',
  );
  const scratch = await mkdtemp(join(tmpdir(), 'iamgen-eval-'));
  try {
    const fromAllRun = await policiesOfAllRun(dataset, scratch);
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
      const { counts, principal: matched } = JSON.parse(await readFile(report, 'utf8')) as {
        counts: { unmapped: number };
        principal: { matchedArns: string[] };
      };
      const fromAll = matched.matchedArns.length === 1 ? fromAllRun.get(principal.arn) : undefined;
      runs.push({
        principal: principal.arn,
        exitCode: result.code,
        statements: statements.length,
        nonexistentActions: actions.filter((action) => catalog.actionByQualifiedName(action) === undefined),
        unmappedEvents: counts.unmapped,
        ...(fromAll === undefined ? {} : { sameAsAllRun: fromAll === result.stdout }),
      });
    }
    return runs;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
