import { isRecord } from './json-record.js';

/** A principal to name a file after: its name, and the ARNs it stands for (to tell accounts apart). */
export interface NamedPrincipal {
  readonly key: string;
  readonly name: string;
  readonly arns: readonly string[];
}

/**
 * A file name that stays inside its folder whatever the principal is called: IAM names allow `[\w+=,.@-]`; anything
 * else (and a leading dot, so no `..` or hidden file) becomes `_`.
 */
export function safeFileName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9+=,.@_-]/g, '_').replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  return cleaned === '' ? '_' : cleaned.slice(0, 200);
}

/**
 * One file name per principal: `<name>.<ext>`; names shared by principals of several accounts get the account
 * (`<name>-<account>.<ext>`), and any clash left gets a counter. Deterministic for the same principals.
 */
export function policyFileNames(principals: readonly NamedPrincipal[], extension: string): Map<string, string> {
  const byName = new Map<string, NamedPrincipal[]>();
  for (const p of principals) {
    const base = safeFileName(p.name).toLowerCase();
    byName.set(base, [...(byName.get(base) ?? []), p]);
  }
  const names = new Map<string, string>();
  // The run's index is `report.json`; no principal may take its name.
  const taken = new Set<string>(extension === 'json' ? ['report'] : []);
  for (const p of [...principals].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const shared = (byName.get(safeFileName(p.name).toLowerCase()) ?? []).length > 1;
    // The smallest account, so the name does not depend on which ARN was met first.
    const account = p.arns
      .map((arn) => arn.split(':')[4] ?? '')
      .filter((a) => a !== '')
      .sort()[0];
    let stem = safeFileName(shared && account !== undefined ? `${p.name}-${account}` : p.name);
    for (let n = 2; taken.has(stem.toLowerCase()); n++) stem = `${safeFileName(p.name)}-${n}`;
    taken.add(stem.toLowerCase());
    names.set(p.key, `${stem}.${extension}`);
  }
  return names;
}

/**
 * The files an earlier run wrote to the folder that this run does not write again, from that run's `report.json`
 * index (`earlierIndex`, as parsed; anything else names no file): policies of principals no longer seen or selected,
 * and an old shared policy. Left alone: files the index does not name, names that are not plain file names of the
 * folder, and the file of a principal that failed in this run (`kept`: it stays; the new index says it failed).
 */
export function leftoverFiles(
  earlierIndex: unknown,
  written: ReadonlySet<string>,
  kept: ReadonlySet<string>,
): string[] {
  if (!isRecord(earlierIndex) || !Array.isArray(earlierIndex.principals)) return [];
  const named: unknown[] = earlierIndex.principals.map((entry) => (isRecord(entry) ? entry.file : undefined));
  if (isRecord(earlierIndex.common)) named.push(earlierIndex.common.file);
  // Compared without case: on a case-insensitive file system `App.json` is the `app.json` just written.
  const keep = new Set(['report.json', ...written, ...kept].map((file) => file.toLowerCase()));
  const leftover = new Set<string>();
  for (const file of named) {
    if (typeof file !== 'string' || keep.has(file.toLowerCase())) continue;
    if (file === safeFileName(file)) leftover.add(file);
  }
  return [...leftover].sort();
}
