import type { CatalogAction, IamCatalog } from '../iam-catalog.js';

const placeholder = /\$\{([A-Za-z0-9]+)\}/g;

const patternCache = new Map<string, RegExp>();

/** A catalog ARN field may list alternatives (`arn:…/apis/${ApiId}, arn:…/restapis/${RestApiId}`). */
export function templateAlternatives(template: string): string[] {
  return template.split(/,\s*/).filter((t) => t.startsWith('arn:'));
}

/** `arn:${Partition}:s3:::${BucketName}/${ObjectName}` → a RegExp that matches concrete ARNs of that type. */
export function arnTemplatePattern(template: string): RegExp {
  let pattern = patternCache.get(template);
  if (pattern === undefined) {
    let source = '';
    let last = 0;
    for (const match of template.matchAll(placeholder)) {
      source += escapeRegExp(template.slice(last, match.index));
      const name = match[1];
      source += name === 'Partition' || name === 'Region' || name === 'Account' ? '[^:]*' : '.+';
      last = match.index + match[0].length;
    }
    source += escapeRegExp(template.slice(last));
    pattern = new RegExp(`^${source}$`);
    patternCache.set(template, pattern);
  }
  return pattern;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ResourceTemplate {
  readonly type: string;
  readonly required: boolean;
  readonly template: string;
}

/** Resource-type templates an action can be scoped to, resolved against the catalog. */
export function actionTemplates(catalog: IamCatalog, action: CatalogAction): ResourceTemplate[] {
  const templates: ResourceTemplate[] = [];
  for (const type of action.resourceTypes) {
    const arn = catalog.resourceTypeArn(action.service, type.name);
    if (arn === undefined) continue;
    for (const template of templateAlternatives(arn))
      templates.push({ type: type.name, required: type.required, template });
  }
  return templates;
}

export interface ArnContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Fills an ARN template; undefined when a placeholder has no value. */
export function fillArnTemplate(
  template: string,
  context: ArnContext,
  placeholderValue: (placeholderName: string) => string | undefined,
): string | undefined {
  let missing = false;
  const arn = template.replace(placeholder, (_, name: string) => {
    // A value from the request (e.g. the account in an SQS queue URL) wins over the event's own.
    const value =
      placeholderValue(name) ??
      (name === 'Partition'
        ? context.partition
        : name === 'Region'
          ? context.region
          : name === 'Account'
            ? context.account
            : undefined);
    if (value === undefined || value === '') missing = true;
    return value ?? '';
  });
  return missing ? undefined : arn;
}

/** Partition of a region name: `cn-north-1` → `aws-cn`, `us-gov-west-1` → `aws-us-gov`. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}
