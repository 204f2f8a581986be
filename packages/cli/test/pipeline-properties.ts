import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { IamCatalog, PolicyDocument } from '@iamgen/core';
import { isIssue, policySize, proveCoverage, recordsOfDocument, TrailAnalysis, wildcardMatch } from '@iamgen/core';
import fc from 'fast-check';
import { RunFailure } from '../src/cli-io.js';
import { policyForPrincipal } from '../src/principal-policy.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** Real datasets beside the checkout, when this machine has them. */
export const datasets = join(root, '../shared/datasets');

/** Every event of the bundled samples and, when present, of the shared real datasets: the seeds mutations start from. */
export async function loadEventPool(withDatasets: boolean): Promise<unknown[]> {
  const folders = [join(root, 'samples'), ...(withDatasets && existsSync(datasets) ? [datasets] : [])];
  const events: unknown[] = [];
  for (const folder of folders) {
    for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !/\.json(\.gz)?$/.test(entry.name) || /expected|manifest|sample\.json/.test(entry.name)) {
        continue;
      }
      const bytes = await readFile(join(entry.parentPath, entry.name));
      let document: unknown;
      try {
        document = JSON.parse((entry.name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
      } catch {
        continue;
      }
      for (const item of recordsOfDocument(document, entry.name)) if (!isIssue(item)) events.push(item.record);
    }
  }
  return events;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path into a JSON value: [] is the value itself. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) pathsOf(item, [...prefix, i], out);
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) pathsOf((value as Record<string, unknown>)[key], [...prefix, key], out);
  }
  return out;
}

const hostileKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

/** One change to one place of an event: what a corrupt, truncated or adversarial log would do to it. */
const mutationArb = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'hostile-key', 'hostile-name', 'number', 'empty', 'rehome', 'deny'),
  value: fc.jsonValue({ maxDepth: 3 }),
  key: fc.constantFrom(...hostileKeys),
  role: fc.constantFrom('fuzz-a', 'fuzz-b'),
});

function setOwn(target: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  // As JSON.parse makes them: an own property, even when it is called __proto__.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mutate(event: unknown, mutation: fc.RecordValue<typeof mutationArb>): unknown {
  const copy = structuredClone(event) as Json;
  const paths = pathsOf(copy);
  const path = paths[mutation.at % paths.length] ?? [];
  const parentPath = path.slice(0, -1);
  const last = path.at(-1);
  let parent: unknown = copy;
  for (const step of parentPath) parent = (parent as Record<string | number, unknown>)[step];
  const holder = parent as Record<string, unknown> | unknown[];
  switch (mutation.op) {
    case 'delete':
      if (last === undefined) return null;
      if (Array.isArray(holder)) holder.splice(Number(last), 1);
      else delete holder[last as string];
      return copy;
    case 'replace':
      if (last === undefined) return mutation.value;
      setOwn(holder, last, mutation.value);
      return copy;
    case 'hostile-key': {
      const target = last === undefined ? copy : (holder as Record<string, unknown>)[last as string];
      if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
        setOwn(target as Record<string, unknown>, mutation.key, mutation.value);
      }
      return copy;
    }
    case 'hostile-name':
      // Names that are Object.prototype members: any table lookup by event name or service must not see them.
      if (typeof copy === 'object' && copy !== null && !Array.isArray(copy)) {
        if (mutation.at % 2 === 0) copy.eventName = mutation.key;
        else copy.eventSource = `${mutation.key}.amazonaws.com`;
      }
      return copy;
    case 'number':
      if (last !== undefined) setOwn(holder, last, 12345);
      return copy;
    case 'empty':
      if (last !== undefined) setOwn(holder, last, '');
      return copy;
    case 'rehome':
      // Several events of one role, so shaping merges, generalizes and splits real material.
      if (typeof copy === 'object' && copy !== null && !Array.isArray(copy)) {
        copy.userIdentity = {
          type: 'AssumedRole',
          arn: `arn:aws:sts::123456789012:assumed-role/${mutation.role}/s`,
          accountId: '123456789012',
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: `arn:aws:iam::123456789012:role/${mutation.role}` },
          },
        };
      }
      return copy;
    case 'deny':
      if (typeof copy === 'object' && copy !== null && !Array.isArray(copy)) {
        copy.errorCode = 'AccessDenied';
        copy.errorMessage = `User: x is not authorized to perform: ${String(copy.eventName)} on resource: arn:aws:s3:::b`;
      }
      return copy;
  }
}

/** Records one fuzz case feeds: real events, mutated real events, and arbitrary JSON. */
export function recordsArb(pool: readonly unknown[]): fc.Arbitrary<unknown[]> {
  const real = fc.nat({ max: Math.max(0, pool.length - 1) }).map((i) => pool[i]);
  const mutated = fc
    .tuple(real, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
    .map(([event, mutations]) => mutations.reduce<unknown>((e, m) => mutate(e, m), event));
  const rehomed = fc
    .tuple(real, fc.constantFrom('fuzz-a', 'fuzz-b'))
    .map(([event, role]) => mutate(event, { at: 0, op: 'rehome', value: null, key: '__proto__', role }));
  return fc.array(
    fc.oneof(
      { weight: 3, arbitrary: real },
      { weight: 4, arbitrary: mutated },
      { weight: 3, arbitrary: rehomed },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    ),
    { minLength: 5, maxLength: 60, size: 'max' },
  );
}

/** Records as a log file would deliver them: through JSON text, so hostile keys arrive as JSON.parse makes them. */
function asParsed(records: readonly unknown[]): unknown[] {
  return JSON.parse(JSON.stringify({ Records: records }) ?? '{"Records":[]}').Records as unknown[];
}

function checkDocument(document: PolicyDocument, catalog: IamCatalog, limit: number): void {
  if (document.Version !== '2012-10-17') throw new Error(`bad Version ${String(document.Version)}`);
  const sids = new Set<string>();
  for (const statement of document.Statement) {
    if (statement.Effect !== 'Allow') throw new Error(`statement ${statement.Sid} is not Allow`);
    if (statement.Sid === undefined || !/^[A-Za-z0-9]+$/.test(statement.Sid) || sids.has(statement.Sid)) {
      throw new Error(`bad or repeated Sid ${String(statement.Sid)}`);
    }
    sids.add(statement.Sid);
    const actions = [statement.Action ?? []].flat();
    const resources = [statement.Resource ?? []].flat();
    if (actions.length === 0 || resources.length === 0) throw new Error(`statement ${statement.Sid} is empty`);
    for (const action of actions) {
      const colon = action.indexOf(':');
      const service = catalog.service(action.slice(0, colon));
      const exists = action.includes('*')
        ? [...(service?.actions.values() ?? [])].some((a) => wildcardMatch(action, `${a.service}:${a.name}`))
        : catalog.actionByQualifiedName(action) !== undefined;
      if (!exists) throw new Error(`invented action ${action}`);
    }
    for (const resource of resources) {
      if (resource !== '*' && !resource.startsWith('arn:')) throw new Error(`resource is not an ARN: ${resource}`);
    }
  }
  const size = policySize(document);
  if (size > limit) throw new Error(`document of ${size} characters is over the ${limit} limit`);
}

/** Each principal's policy text from one pass over `records` in the given order. */
function policies(catalog: IamCatalog, records: readonly unknown[]): Map<string, string> {
  const analysis = new TrailAnalysis(catalog, { selection: { selectors: [], all: true } });
  // Half the records come as whole documents (files), half one by one, as the readers hand them over.
  records.forEach((record, index) => {
    if (index % 2 === 0) {
      for (const item of recordsOfDocument(record, `f${index}`)) {
        if (isIssue(item)) analysis.addIssue(item);
        else analysis.addRecord(item.record, item.origin);
      }
    } else analysis.addRecord(record, { source: 'f', index });
  });
  const texts = new Map<string, string>();
  const settings = {
    format: 'json',
    includeDenied: false,
    policyKind: 'managed',
    objectPrefixThreshold: 20,
    generalize: 'safe',
    parameterize: [],
    stageTokens: [],
  } as const;
  for (const principal of analysis.analyses()) {
    let result: ReturnType<typeof policyForPrincipal>;
    try {
      result = policyForPrincipal(analysis, principal, { files: 1, dataEventsPossible: true }, settings);
    } catch (error) {
      // --all names only principals it saw; any failure here is the coverage proof failing, a bug.
      if (error instanceof RunFailure) throw new Error(`${principal.target.label}: ${error.message}`);
      throw error;
    }
    for (const document of result.shaped.documents) checkDocument(document, catalog, result.shaped.limit);
    for (const reason of Object.keys(principal.counts.notAuthorization)) {
      if (reason.includes('[native code]')) throw new Error(`a lookup read Object.prototype: ${reason}`);
    }
    // Every observed access is allowed as observed, except an escalation grant the logs could not pin to a role (on
    // `*`, or through an unresolved instance profile): the policy grants it in the principal's account, bounded,
    // and names it for a person to narrow. That grant must then be allowed in the form named.
    const toNarrow = result.report.grantsToNarrow ?? [];
    const misses = proveCoverage(result.shaped.documents, principal.granted.accesses()).misses.filter(
      (miss) =>
        !toNarrow.some(
          (grant) =>
            grant.action === miss.action &&
            proveCoverage(result.shaped.documents, [{ ...miss, resource: grant.resource }]).misses.length === 0,
        ),
    );
    if (misses.length > 0) throw new Error(`${principal.target.label}: coverage misses ${JSON.stringify(misses)}`);
    const parsed = JSON.parse(result.text) as unknown;
    const documents = Array.isArray(parsed) ? parsed : [parsed];
    if (JSON.stringify(documents) !== JSON.stringify(result.shaped.documents))
      throw new Error('text is not the policy');
    texts.set(principal.target.key, result.text);
  }
  return texts;
}

/**
 * The pipeline property: for any mix of real, mutated and arbitrary records, no exception escapes, every policy
 * is valid (catalog actions only, ARNs or *, unique Sids, within the size limit), the coverage proof holds, and
 * the same records in another order give the same bytes.
 */
export function pipelineProperty(catalog: IamCatalog, pool: readonly unknown[]) {
  return fc.property(recordsArb(pool), fc.infiniteStream(fc.nat()), (raw, shuffle) => {
    const records = asParsed(raw);
    const first = policies(catalog, records);
    const order = records.map((record, i) => ({ record, key: shuffle.next().value ?? i }));
    order.sort((a, b) => a.key - b.key);
    const second = policies(
      catalog,
      order.map((o) => o.record),
    );
    if (JSON.stringify([...first]) !== JSON.stringify([...second])) {
      throw new Error('another order of the same records gave different policies');
    }
  });
}
