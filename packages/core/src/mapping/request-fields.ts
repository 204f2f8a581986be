import type { IamCatalog } from '../iam-catalog.js';
import { denialMessagePattern } from './denied.js';
import { eventSourcesOf } from './index.js';

/**
 * Top-level request keys that service rules read by name (`stringAt(params, 'queueUrl')`, the `delete` of
 * DeleteObjects, DynamoDB `transactItems`…), lower-cased, by the service whose rules read them: a key is only
 * kept for that service's events, so DynamoDB's item `key` does not split rows the way S3's object `key` must.
 * A test records every key the mapping probes on real events and fails when one is missing here.
 */
const keysReadByServiceRules: Readonly<Record<string, readonly string[]>> = {
  apigateway: [
    'apiid',
    'apikey',
    'apikeyid',
    'authorizerid',
    'deploymentid',
    'domainname',
    'httpmethod',
    'modelname',
    'resource-arn',
    'resourcearn',
    'resourceid',
    'restapiid',
    'stagename',
    'statuscode',
    'usageplanid',
  ],
  athena: ['name', 'workgroup'],
  cloudformation: ['changesetname', 'stackname'],
  cloudtrail: ['name', 'trailname'],
  dynamodb: [
    'indexname',
    'requestitems',
    'sharditerator',
    'statement',
    'statements',
    'streamarn',
    'tablename',
    'transactitems',
    'transactstatements',
  ],
  ec2: ['groupid', 'instanceid', 'instancesset'],
  events: ['entries', 'eventbusname', 'name', 'rule', 'rulename'],
  iam: ['groupname', 'instanceprofilename', 'policyname', 'rolename', 'serialnumber', 'username'],
  kms: ['aliasname', 'destinationkeyid', 'keyid', 'sourcekeyid', 'targetkeyid'],
  lambda: ['functionname', 'layername'],
  logs: ['loggrouparn', 'loggroupidentifier', 'loggroupname', 'logstreamname', 'resourcearn'],
  rds: [
    'dbclusteridentifier',
    'dbclustersnapshotidentifier',
    'dbinstanceidentifier',
    'dbparametergroupname',
    'dbsnapshotidentifier',
    'dbsubnetgroupname',
  ],
  s3: ['bucket', 'bucketname', 'delete', 'key', 'versionid', 'x-amz-copy-source'],
  secretsmanager: ['name', 'secretid', 'secretidlist'],
  sqs: ['queuename', 'queueownerawsaccountid', 'queueurl'],
  ssm: ['documentname', 'name', 'names', 'path'],
  states: ['name'],
};

/**
 * Keys any service's event may need: `iam:PassRole` looks for instance profiles in every request, a request may
 * name the account that owns the resource, and a bare `name` may be the resource's own.
 */
const keysReadForEveryService = ['iaminstanceprofile', 'name', 'registryid'];

/** Placeholders filled from the event itself, never from a request key. */
const contextPlaceholders = new Set(['partition', 'region', 'account']);

/**
 * What of `requestParameters` an aggregated Athena row must carry so the mapping names the same resources as
 * from the raw event. The mapping reads a request in three ways, and each has its rule:
 * - by name: any top-level string whose lower-cased key is an ARN-template placeholder of the catalog
 *   (`${TableName}` ← `tableName`) → `keys`; the keys a service's rules read → `serviceKeys`;
 * - by content: ARNs anywhere in the request (ARN-carrying values, `iam:PassRole` under role-like keys at any
 *   depth) and instance profiles → `keepValuesMatching`, tested on each top-level entry's JSON text;
 * - from `errorMessage`, only what the denial pattern matches → `errorMessagePattern`.
 * Top-level entries are kept whole, so every read of a kept key sees what the raw event had.
 */
export interface RequestProjection {
  /** Lower-cased top-level keys kept by name in every event, code-point sorted. */
  readonly keys: readonly string[];
  /** `<eventSource>|<lower-cased key>`: keys kept by name in that service's events only, code-point sorted. */
  readonly serviceKeys: readonly string[];
  /** A top-level entry whose JSON text matches is kept whatever its key. */
  readonly keepValuesMatching: string;
  /** The part of an error message the denial parser reads (its first match). */
  readonly errorMessagePattern: string;
}

/** The request projection for Athena, derived from the catalog's ARN templates and the service rules. */
export function resourceRequestFields(catalog: IamCatalog): RequestProjection {
  const keys = new Set(keysReadForEveryService);
  for (const prefix of catalog.servicePrefixes()) {
    for (const template of catalog.service(prefix)?.resourceTypes.values() ?? []) {
      for (const match of template.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) {
        const name = match[1]?.toLowerCase();
        // The placeholder's field, and its plural (`logGroupNames`), which names one resource per item.
        if (name !== undefined && !contextPlaceholders.has(name)) keys.add(name).add(`${name}s`);
      }
    }
  }
  const serviceKeys = new Set<string>();
  for (const [prefix, names] of Object.entries(keysReadByServiceRules)) {
    for (const source of eventSourcesOf(prefix)) {
      for (const name of names) if (!keys.has(name)) serviceKeys.add(`${source}|${name}`);
    }
  }
  return {
    keys: [...keys].sort(),
    serviceKeys: [...serviceKeys].sort(),
    // Letter by letter rather than a case-insensitive flag: `(?i)` would put a `?` into the SQL.
    keepValuesMatching: `"arn:|"${[...'iaminstanceprofile'].map((c) => `[${c}${c.toUpperCase()}]`).join('')}"\\s*:`,
    errorMessagePattern: denialMessagePattern,
  };
}
