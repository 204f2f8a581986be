/** Safe reads of `requestParameters`: own properties only, strings only, never through the prototype. */

export type Params = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringAt(params: unknown, ...keys: string[]): string | undefined {
  if (!isRecord(params)) return undefined;
  for (const key of keys) {
    if (!Object.hasOwn(params, key)) continue;
    const value = params[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export function recordAt(params: unknown, key: string): Params | undefined {
  if (!isRecord(params) || !Object.hasOwn(params, key)) return undefined;
  const value = params[key];
  return isRecord(value) ? value : undefined;
}

/** An array field, or a single value as a one-element list (CloudTrail logs both shapes). */
export function listAt(params: unknown, key: string): unknown[] {
  if (!isRecord(params) || !Object.hasOwn(params, key)) return [];
  const value = params[key];
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

export function stringsAt(params: unknown, key: string): string[] {
  return listAt(params, key).filter((v): v is string => typeof v === 'string' && v !== '');
}

/** Every string value at the top level and one level down: where ARNs in a request are found. */
export function shallowStrings(params: Params): string[] {
  const out: string[] = [];
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (typeof value === 'string') out.push(value);
    else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string') out.push(item);
    } else if (isRecord(value)) {
      for (const inner of Object.keys(value)) {
        const nested = value[inner];
        if (typeof nested === 'string') out.push(nested);
      }
    }
  }
  return out;
}

/** Top-level string parameters by lower-cased name, for the generic `${TableName}` ← `tableName` rule. */
export function lowerCaseIndex(params: Params): ReadonlyMap<string, string> {
  const index = new Map<string, string>();
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (typeof value === 'string' && value !== '' && !value.startsWith('arn:')) index.set(key.toLowerCase(), value);
  }
  return index;
}
