import { getOrCreate } from '../collections.js';
import type { IamCatalog } from '../iam-catalog.js';
import { actionTemplates, takenFromContext, templateAlternatives, templateSource } from '../mapping/arn-template.js';

/**
 * A resource ARN cut where its own name starts: `arn:aws:lambda:us-east-1:1:function:` + `orders-api`,
 * `arn:aws:s3:::media/` + `in/2024/a.png`. The container keeps partition, region, account and parent
 * (bucket, log group, state machine), so a pattern built on it never reaches resources that were not seen.
 */
export interface ResourceName {
  /** Service and resource type, `lambda:function`, `s3:object`. */
  readonly kind: string;
  readonly container: string;
  readonly name: string;
}

const templateCache = new Map<string, RegExp>();

/** Like `arnTemplatePattern`, but with a group for the last placeholder, the resource's own name. */
function namePattern(template: string): RegExp {
  return getOrCreate(templateCache, template, () => {
    const source = templateSource(template, (name, last) => (last ? '(.+)' : takenFromContext(name) ? '[^:]*' : '.+?'));
    return new RegExp(`^${source}$`, 'd');
  });
}

const arnParts = /^arn:[^:]+:([^:]+):[^:]*:[^:]*:(.*)$/;

/**
 * Splits `resource` into kind, container and name: by the catalog's ARN template of the action's resource
 * type when a catalog is given, else by the ARN's shape (type word, then the last `/` or `:`).
 * Undefined for `*`, patterns and ARNs without a name part.
 */
export function resourceNameOf(action: string, resource: string, catalog?: IamCatalog): ResourceName | undefined {
  // `log-group:NAME:*` (all streams of a group) is still the group's name, followed by a wildcard.
  const base = resource.endsWith(':*') ? resource.slice(0, -2) : resource;
  if (base.includes('*') || base.includes('?')) return undefined;
  const parts = arnParts.exec(base);
  if (parts === null) return undefined;
  const service = parts[1] ?? '';
  const byShape = shapeSplit(service, base, parts[2] ?? '');
  if (catalog === undefined) return byShape;
  const entry = catalog.actionByQualifiedName(action);
  const candidates = entry === undefined ? [] : [...actionTemplates(catalog, entry)];
  const typeWord = byShape?.kind.slice(service.length + 1);
  const byType = typeWord === undefined ? undefined : catalog.resourceTypeArn(service, typeWord);
  if (typeWord !== undefined && byType !== undefined)
    for (const template of templateAlternatives(byType)) candidates.push({ type: typeWord, required: false, template });
  for (const { type, template } of candidates) {
    const match = namePattern(template).exec(base);
    const start = match?.indices?.[1]?.[0];
    if (match === null || start === undefined || start === 0) continue;
    return { kind: `${service}:${type}`, container: base.slice(0, start), name: base.slice(start) };
  }
  return byShape;
}

function shapeSplit(service: string, resource: string, rest: string): ResourceName | undefined {
  const head = resource.length - rest.length;
  if (service === 's3') {
    const slash = rest.indexOf('/');
    return slash <= 0
      ? undefined
      : { kind: 's3:object', container: resource.slice(0, head + slash + 1), name: rest.slice(slash + 1) };
  }
  const typeEnd = rest.search(/[/:]/);
  if (typeEnd <= 0) return undefined;
  const type = rest.slice(0, typeEnd);
  const lastCut = Math.max(rest.lastIndexOf('/'), rest.lastIndexOf(':'));
  return {
    kind: `${service}:${type}`,
    container: resource.slice(0, head + lastCut + 1),
    name: rest.slice(lastCut + 1),
  };
}

/**
 * Whether names in this container may be widened beyond the principal's own naming scheme. Bucket names are one
 * global namespace and their ARNs name no account: a wildcard, a cut at a date, or a prefix forced by the size
 * limit would also match buckets other accounts create. Only buckets the principal creates itself keep a shared
 * prefix (the lifecycle rule).
 */
export function widenable(container: string): boolean {
  const parts = /^arn:[^:]*:[^:]*:([^:]*):([^:]*):(.*)$/.exec(container);
  return parts !== null && !(parts[2] === '' && parts[3] === '');
}
