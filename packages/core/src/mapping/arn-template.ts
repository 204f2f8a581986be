import { getOrCreate } from '../collections.js';
import type { CatalogAction, IamCatalog } from '../iam-catalog.js';
import type { TrailEvent } from '../types.js';

const placeholder = /\$\{([A-Za-z0-9]+)\}/g;

const patternCache = new Map<string, RegExp>();

/** A catalog ARN field may list alternatives (`arn:…/apis/${ApiId}, arn:…/restapis/${RestApiId}`). */
export function templateAlternatives(template: string): string[] {
  return template.split(/,\s*/).filter((t) => t.startsWith('arn:'));
}

/** `arn:${Partition}:s3:::${BucketName}/${ObjectName}` → a RegExp that matches concrete ARNs of that type. */
export function arnTemplatePattern(template: string): RegExp {
  return getOrCreate(
    patternCache,
    template,
    () => new RegExp(`^${templateSource(template, (name) => (takenFromContext(name) ? '[^:]*' : '.+'))}$`),
  );
}

/** Placeholders an event's own partition, region and account fill: they never span a `:`. */
export function takenFromContext(name: string): boolean {
  return name === 'Partition' || name === 'Region' || name === 'Account';
}

/**
 * A template as RegExp source: its literal pieces escaped, each placeholder replaced by what `valuePattern` gives for
 * it (`last`: the final placeholder, the resource's own name).
 */
export function templateSource(template: string, valuePattern: (name: string, last: boolean) => string): string {
  const { pieces, names } = cutTemplate(template);
  let source = escapeRegExp(pieces[0] ?? '');
  names.forEach((name, i) => {
    source += valuePattern(name, i === names.length - 1) + escapeRegExp(pieces[i + 1] ?? '');
  });
  return source;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ResourceTemplate {
  readonly type: string;
  readonly required: boolean;
  readonly template: string;
}

/** Templates by catalog and action: every event of an action needs them, and they never change. */
const templatesByCatalog = new WeakMap<IamCatalog, WeakMap<CatalogAction, readonly ResourceTemplate[]>>();

/** Resource-type templates an action can be scoped to, resolved against the catalog. */
export function actionTemplates(catalog: IamCatalog, action: CatalogAction): readonly ResourceTemplate[] {
  const byAction = getOrCreate(templatesByCatalog, catalog, () => new WeakMap());
  return getOrCreate(byAction, action, () => {
    const templates: ResourceTemplate[] = [];
    for (const type of action.resourceTypes) {
      const arn = catalog.resourceTypeArn(action.service, type.name);
      if (arn === undefined) continue;
      for (const template of templateAlternatives(arn))
        templates.push({ type: type.name, required: type.required, template });
    }
    return templates;
  });
}

export interface ArnContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** A template as its literal pieces and the placeholders between them: `pieces` has one more entry than `names`. */
interface CutTemplate {
  readonly pieces: readonly string[];
  readonly names: readonly string[];
}

const cutTemplates = new Map<string, CutTemplate>();

function cutTemplate(template: string): CutTemplate {
  return getOrCreate(cutTemplates, template, () => {
    const pieces: string[] = [];
    const names: string[] = [];
    let last = 0;
    for (const match of template.matchAll(placeholder)) {
      pieces.push(template.slice(last, match.index));
      names.push(match[1] ?? '');
      last = match.index + match[0].length;
    }
    pieces.push(template.slice(last));
    return { pieces, names };
  });
}

/** Fills an ARN template; undefined when a placeholder has no value. */
export function fillArnTemplate(
  template: string,
  context: ArnContext,
  placeholderValue: (placeholderName: string) => string | undefined,
): string | undefined {
  // Cut once per template: this runs for every event mapped, and a replace with a callback costs far more.
  const { pieces, names } = cutTemplate(template);
  let missing = false;
  let arn = pieces[0] ?? '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
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
    arn += (value ?? '') + (pieces[i + 1] ?? '');
  }
  return missing ? undefined : arn;
}

/** The placeholders of a template, in order (`Partition`, `Region`, `Account`, `TableName`…). */
export function placeholdersOf(template: string): readonly string[] {
  return cutTemplate(template).names;
}

/** The partition of the caller's ARN, the one the mapping names resources in. */
export function identityPartition(event: TrailEvent): string | undefined {
  return /^arn:(aws[a-z-]*):/.exec(event.userIdentity.arn ?? event.userIdentity.issuerArn ?? '')?.[1];
}

/** Where an event's resources are, unless its request says otherwise: its partition, region and account. */
export function arnContext(event: TrailEvent): ArnContext {
  return {
    partition: identityPartition(event) ?? partitionOfRegion(event.awsRegion),
    region: event.awsRegion,
    account: event.recipientAccountId ?? event.userIdentity.accountId ?? '',
  };
}

/** Partition of a region name: `cn-north-1` → `aws-cn`, `us-gov-west-1` → `aws-us-gov`. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}
