/** Code-point order, so output does not depend on the machine's locale. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareCodePoints);
}

/**
 * The first `count` of distinct values in code-point order, found without sorting them all (a widening may cover a
 * million object keys, and a report shows a few).
 */
export function firstInOrder(values: ReadonlySet<string>, count: number): string[] {
  if (values.size <= count * 4) return [...values].sort(compareCodePoints).slice(0, count);
  const first: string[] = [];
  for (const value of values) {
    if (first.length === count && compareCodePoints(value, first[count - 1] as string) >= 0) continue;
    let at = first.length;
    while (at > 0 && compareCodePoints(value, first[at - 1] as string) < 0) at -= 1;
    first.splice(at, 0, value);
    if (first.length > count) first.pop();
  }
  return first;
}

/** The entry of `key`, made by `create` the first time it is asked for (in a Map or a WeakMap). */
export function getOrCreate<K, V>(
  map: { get(key: K): V | undefined; set(key: K, value: V): unknown },
  key: K,
  create: () => V,
): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/**
 * A table entry for a key that came from the logs: own entries only, so `constructor`, `toString` or `__proto__`
 * as an event name or service never reads through to Object.prototype.
 */
export function ownEntry<V>(table: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return table !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}
