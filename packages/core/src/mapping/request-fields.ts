import type { IamCatalog } from '../iam-catalog.js';
import { denialMessagePattern } from './denied.js';

/**
 * Top-level request keys that service rules read by name (`stringAt(params, 'queueUrl')`, the `delete` of
 * DeleteObjects, DynamoDB `transactItems`…), lower-cased. A test records every key the mapping probes on real
 * events and fails when one is missing here.
 */
const keysReadByServiceRules = [
  'apiid',
  'apikey',
  'apikeyid',
  'authorizerid',
  'bucket',
  'bucketname',
  'changesetname',
  'dbclusteridentifier',
  'dbclustersnapshotidentifier',
  'dbinstanceidentifier',
  'dbparametergroupname',
  'dbsnapshotidentifier',
  'dbsubnetgroupname',
  'delete',
  'deploymentid',
  'destinationkeyid',
  'documentname',
  'domainname',
  'entries',
  'eventbusname',
  'functionname',
  'groupid',
  'groupname',
  'httpmethod',
  'iaminstanceprofile',
  'indexname',
  'instanceid',
  'instanceprofilename',
  'instancesset',
  'key',
  'keyid',
  'layername',
  'loggroupidentifier',
  'loggroupname',
  'logstreamname',
  'modelname',
  'name',
  'names',
  'path',
  'policyname',
  'queuename',
  'queueurl',
  'requestitems',
  'resourceid',
  'rolename',
  'rule',
  'rulename',
  'secretid',
  'secretidlist',
  'serialnumber',
  'sharditerator',
  'sourcekeyid',
  'stackname',
  'stagename',
  'statement',
  'statements',
  'statuscode',
  'streamarn',
  'tablename',
  'targetkeyid',
  'trailname',
  'transactitems',
  'transactstatements',
  'usageplanid',
  'username',
  'versionid',
  'workgroup',
  'x-amz-copy-source',
];

/** Placeholders filled from the event itself, never from a request key. */
const contextPlaceholders = new Set(['partition', 'region', 'account']);

/**
 * What of `requestParameters` an aggregated Athena row must carry so the mapping names the same resources as
 * from the raw event. The mapping reads a request in three ways, and each has its rule:
 * - by name: a service rule's keys, and any top-level string whose lower-cased key is an ARN-template
 *   placeholder of the catalog (`${TableName}` ← `tableName`) → `keys`;
 * - by content: ARNs anywhere in the request (ARN-carrying values, `iam:PassRole` under role-like keys at any
 *   depth) and instance profiles → `keepValuesMatching`, tested on each top-level entry's JSON text;
 * - from `errorMessage`, only what the denial pattern matches → `errorMessagePattern`.
 * Top-level entries are kept whole, so every read of a kept key sees what the raw event had.
 */
export interface RequestProjection {
  /** Lower-cased top-level keys kept by name, code-point sorted. */
  readonly keys: readonly string[];
  /** A top-level entry whose JSON text matches is kept whatever its key. */
  readonly keepValuesMatching: string;
  /** The part of an error message the denial parser reads (its first match). */
  readonly errorMessagePattern: string;
}

/** The request projection for Athena, derived from the catalog's ARN templates and the service rules. */
export function resourceRequestFields(catalog: IamCatalog): RequestProjection {
  const keys = new Set(keysReadByServiceRules);
  for (const prefix of catalog.servicePrefixes()) {
    for (const template of catalog.service(prefix)?.resourceTypes.values() ?? []) {
      for (const match of template.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) {
        const name = match[1]?.toLowerCase();
        if (name !== undefined && !contextPlaceholders.has(name)) keys.add(name);
      }
    }
  }
  return {
    keys: [...keys].sort(),
    // Letter by letter rather than a case-insensitive flag: `(?i)` would put a `?` into the SQL.
    keepValuesMatching: `"arn:|"${[...'iaminstanceprofile'].map((c) => `[${c}${c.toUpperCase()}]`).join('')}"\\s*:`,
    errorMessagePattern: denialMessagePattern,
  };
}
