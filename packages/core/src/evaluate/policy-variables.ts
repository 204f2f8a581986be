import type { RequestContext } from './request.js';

const variable = /\$\{([^}]+)\}/g;
const escapes: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };

/**
 * Substitutes `${aws:username}`-style variables from the request context. A variable the request does not
 * supply (and that has no `${key, 'default'}`) makes the element unmatchable: undefined.
 */
export function substituteVariables(text: string, context: RequestContext): string | undefined {
  if (!text.includes('${')) return text;
  let unresolved = false;
  const result = text.replace(variable, (whole, inner: string) => {
    const escaped = escapes[inner];
    // Escapes stand for a literal character; `*` and `?` stay wildcard-free by doubling into a class below.
    if (escaped !== undefined) return escaped === '$' ? '$' : `\u0000${escaped}`;
    const [rawKey, rawDefault] = inner.split(',').map((part) => part.trim());
    const value = context[(rawKey ?? '').toLowerCase()];
    const single = typeof value === 'string' ? value : undefined;
    if (single !== undefined) return single;
    const fallback = rawDefault?.match(/^'(.*)'$/)?.[1];
    if (fallback !== undefined) return fallback;
    unresolved = true;
    return whole;
  });
  return unresolved ? undefined : result;
}
