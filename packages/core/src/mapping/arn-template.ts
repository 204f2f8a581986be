import type { CatalogAction, IamCatalog } from '../iam-catalog.js';

const placeholder = /\$\{([A-Za-z0-9]+)\}/g;

const cache = new Map<string, RegExp>();

/** `arn:${Partition}:s3:::${BucketName}/${ObjectName}` → a RegExp that matches concrete ARNs of that type. */
export function arnTemplatePattern(template: string): RegExp {
  let pattern = cache.get(template);
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
    cache.set(template, pattern);
  }
  return pattern;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Resource-type templates an action can be scoped to, resolved against the catalog. */
export function actionArnTemplates(catalog: IamCatalog, action: CatalogAction): string[] {
  const templates: string[] = [];
  for (const type of action.resourceTypes) {
    const template = catalog.resourceTypeArn(action.service, type.name);
    if (template !== undefined) templates.push(template);
  }
  return templates;
}

/** True when `arn` is a concrete ARN of one of the resource types the action supports. */
export function arnFitsAction(catalog: IamCatalog, action: CatalogAction, arn: string): boolean {
  return actionArnTemplates(catalog, action).some((template) => arnTemplatePattern(template).test(arn));
}

export interface ArnContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Fills an ARN template; returns undefined when a placeholder has no value. */
export function fillArnTemplate(
  template: string,
  context: ArnContext,
  values: Readonly<Record<string, string | undefined>>,
): string | undefined {
  let missing = false;
  const arn = template.replace(placeholder, (_, name: string) => {
    const value =
      name === 'Partition'
        ? context.partition
        : name === 'Region'
          ? context.region
          : name === 'Account'
            ? context.account
            : values[name];
    if (value === undefined || value === '') missing = true;
    return value ?? '';
  });
  return missing ? undefined : arn;
}

/** Partition of a region name: `cn-north-1` → `aws-cn`, `us-gov-west-1` → `aws-us-gov`. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}
