/** Names Windows refuses for a file whatever the extension; harmless elsewhere, so refused everywhere. */
const reserved = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
/** Room for an account suffix, a counter and an extension within the 255 bytes most file systems allow. */
const maxLength = 180;

function clean(name: string): string {
  const safe = name
    // IAM names allow letters, digits and +=,.@_- ; everything else (separators, controls, spaces) becomes '_'.
    .replace(/[^A-Za-z0-9+=,.@_-]/g, '_')
    // No hidden files and no '..' anywhere, so no name can climb out of or hide in the folder.
    .replace(/\.{2,}/g, '_')
    .replace(/^\./, '_')
    .slice(0, maxLength);
  if (safe === '' || reserved.test(safe)) return `_${safe}`;
  return safe;
}

/**
 * A file name (without extension) for a principal's output inside an output folder: path-safe whatever the role name in the logs says
 * (no separators, no '..', no control characters), unique among `taken` ignoring case (macOS and Windows folders
 * ignore it), by the account id first and a counter last. The caller adds the returned name to `taken`.
 */
export function safeFileName(name: string, account: string, taken: ReadonlySet<string>): string {
  const lowerTaken = new Set([...taken].map((t) => t.toLowerCase()));
  const free = (candidate: string) => !lowerTaken.has(candidate.toLowerCase());
  const base = clean(name);
  if (free(base)) return base;
  const withAccount = `${base}-${clean(account)}`;
  if (free(withAccount)) return withAccount;
  for (let n = 2; ; n += 1) if (free(`${withAccount}-${n}`)) return `${withAccount}-${n}`;
}
