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
