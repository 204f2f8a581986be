const cache = new Map<string, RegExp>();

/**
 * IAM wildcard match: `*` any run of characters, `?` exactly one. Actions compare case-insensitively,
 * ARNs and condition values case-sensitively unless asked otherwise.
 */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?') && !pattern.includes('\u0000')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = cache.get(key);
  if (regex === undefined) {
    let source = '';
    const chars = [...pattern];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i] ?? '';
      // A NUL marks the next character as literal: what `${*}` and `${?}` policy variables expand to.
      if (c === '\u0000') source += escapeChar(chars[++i] ?? '');
      else source += c === '*' ? '.*' : c === '?' ? '.' : escapeChar(c);
    }
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    if (cache.size > 10_000) cache.clear();
    cache.set(key, regex);
  }
  return regex.test(value);
}

function escapeChar(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
