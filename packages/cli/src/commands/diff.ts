import { resolve } from 'node:path';
import type { PolicyDiff } from '@iamgen/core';
import { diffAsJson, diffPolicies, renderDiffMarkdown, renderDiffText, renderJson } from '@iamgen/core';
import { writeFileAtomic } from '../atomic-write.js';
import type { AwsConnection } from '../aws-connection.js';
import { iamCatalog } from '../catalog.js';
import type { CliIo } from '../cli-io.js';
import { exitCodes, UsageError } from '../cli-io.js';
import { readPolicyFile } from '../current-policy/from-file.js';
import type { PrincipalRef } from '../current-policy/index.js';
import { loadCurrentPolicies } from '../current-policy/index.js';
import type { DiffFormat } from '../option-choices.js';

export interface DiffArgs extends AwsConnection {
  readonly current: string;
  readonly proposed: string;
  readonly role?: string | undefined;
  readonly user?: string | undefined;
  readonly format: DiffFormat;
  readonly dataEvents: boolean;
}

export function renderDiff(diff: PolicyDiff, format: DiffFormat): string {
  if (format === 'markdown') return renderDiffMarkdown(diff);
  if (format === 'json') return renderJson(diffAsJson(diff));
  return renderDiffText(diff);
}

export function principalRefOf(role: string | undefined, user: string | undefined): PrincipalRef | undefined {
  if (role !== undefined && user !== undefined) throw new UsageError('give either --role or --user, not both');
  if (role !== undefined) return { kind: 'role', value: role };
  if (user !== undefined) return { kind: 'user', value: user };
  return undefined;
}

/** `iamgen diff`: exit 0 when nothing would change, 3 when the proposal changes what is granted. */
export async function diff(args: DiffArgs, io: CliIo): Promise<number> {
  const principal = principalRefOf(args.role, args.user);
  const catalog = iamCatalog();
  const [current, proposed] = await Promise.all([
    loadCurrentPolicies(args.current, principal, args, io.cwd),
    readPolicyFile(resolve(io.cwd, args.proposed), undefined, args.proposed),
  ]);
  const result = diffPolicies(current, proposed, catalog, { dataEventsSeen: args.dataEvents });
  io.stdout.write(renderDiff(result, args.format));
  return result.changed ? exitCodes.changes : exitCodes.ok;
}

/** Writes a diff where `from-trail --diff-against` was asked to put it: a file, or stderr. */
export async function emitDiff(
  result: PolicyDiff,
  format: DiffFormat,
  out: string | undefined,
  io: CliIo,
): Promise<void> {
  const text = renderDiff(result, format);
  if (out === undefined) io.stderr.write(text);
  else await writeFileAtomic(resolve(io.cwd, out), text, out);
}
