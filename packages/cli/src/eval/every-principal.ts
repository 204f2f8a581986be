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
  readonly principal: string;
  readonly arns: readonly string[];
  readonly status: string;
  readonly file?: string;
}

/** A principal one `from-trail --all --out-dir` run wrote a policy for, as its index names it, and those bytes. */
export interface AllRunPolicy {
  readonly kind: 'role' | 'user';
  /** The ARN or name to select it alone with `--role` or `--user`. */
  readonly name: string;
  readonly arns: readonly string[];
  readonly text: string;
}

/** One `from-trail --all --out-dir` run: each principal it wrote, with the bytes written for it. */
export async function policiesOfAllRun(dataset: string, outDir: string): Promise<AllRunPolicy[]> {
  await runCliCaptured(['from-trail', '--all', '--events', dataset, '--out-dir', outDir], process.cwd());
  let index: { principals: IndexEntry[] };
  try {
    index = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')) as { principals: IndexEntry[] };
  } catch {
    return [];
  }
  const policies: AllRunPolicy[] = [];
  for (const entry of index.principals) {
    // Index entries are named `role <arn>` or `user <arn>`.
    const named = /^(role|user) (.+)$/.exec(entry.principal);
    if (entry.status !== 'ok' || entry.file === undefined || named === null) continue;
    const text = await readFile(join(outDir, entry.file), 'utf8');
    policies.push({ kind: named[1] as 'role' | 'user', name: named[2] ?? '', arns: entry.arns, text });
  }
  return policies;
}

/**
 * `from-trail` for one principal: what it printed, its exit code, and from its report the ARNs it matched and the
 * events it could not map.
 */
export async function singlePrincipalRun(
  kind: 'role' | 'user',
  name: string,
  dataset: string,
  report: string,
): Promise<{
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly matchedArns: readonly string[];
  readonly unmappedEvents: number;
}> {
  const result = await runCliCaptured(
    ['from-trail', `--${kind}`, name, '--events', dataset, '--report', report],
    process.cwd(),
  );
  const printed = { exitCode: result.code, stdout: result.stdout, stderr: result.stderr };
  if (result.code !== 0) return { ...printed, matchedArns: [], unmappedEvents: 0 };
  const { principal, counts } = JSON.parse(await readFile(report, 'utf8')) as {
    principal: { matchedArns: string[] };
    counts: { unmapped: number };
  };
  return { ...printed, matchedArns: principal.matchedArns, unmappedEvents: counts.unmapped };
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
    const fromAllRun = new Map<string, string>();
    for (const policy of await policiesOfAllRun(dataset, join(scratch, 'all'))) {
      const [arn] = policy.arns;
      if (arn !== undefined && policy.arns.length === 1) fromAllRun.set(arn, policy.text);
    }
    const runs: PrincipalRun[] = [];
    for (const [i, principal] of principals.entries()) {
      const report = join(scratch, `${i}.json`);
      const result = await singlePrincipalRun(
        principal.kind === 'role' ? 'role' : 'user',
        principal.arn,
        dataset,
        report,
      );
      if (result.exitCode !== 0) {
        runs.push({
          principal: principal.arn,
          exitCode: result.exitCode,
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
      const fromAll = result.matchedArns.length === 1 ? fromAllRun.get(principal.arn) : undefined;
      runs.push({
        principal: principal.arn,
        exitCode: result.exitCode,
        statements: statements.length,
        nonexistentActions: actions.filter((action) => catalog.actionByQualifiedName(action) === undefined),
        unmappedEvents: result.unmappedEvents,
        ...(fromAll === undefined ? {} : { sameAsAllRun: fromAll === result.stdout }),
      });
    }
    return runs;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
