import { ownEntry } from '../../collections.js';
import type { TrailEvent } from '../../types.js';
import { listAt, recordAt, stringAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

/** S3 API operations whose IAM action has another name (the S3 docs' "permissions" line for each API). */
const names: Readonly<Record<string, string>> = {
  ListObjects: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  ListObjectVersions: 'ListBucketVersions',
  HeadObject: 'GetObject',
  HeadBucket: 'ListBucket',
  ListBuckets: 'ListAllMyBuckets',
  ListDirectoryBuckets: 'ListAllMyDirectoryBuckets',
  GetBucketLifecycle: 'GetLifecycleConfiguration',
  GetBucketLifecycleConfiguration: 'GetLifecycleConfiguration',
  PutBucketLifecycle: 'PutLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 'PutLifecycleConfiguration',
  DeleteBucketLifecycle: 'PutLifecycleConfiguration',
  GetBucketEncryption: 'GetEncryptionConfiguration',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  DeleteBucketEncryption: 'PutEncryptionConfiguration',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 'PutBucketPublicAccessBlock',
  GetBucketReplication: 'GetReplicationConfiguration',
  PutBucketReplication: 'PutReplicationConfiguration',
  DeleteBucketReplication: 'PutReplicationConfiguration',
  GetBucketCors: 'GetBucketCORS',
  PutBucketCors: 'PutBucketCORS',
  DeleteBucketCors: 'PutBucketCORS',
  GetBucketNotificationConfiguration: 'GetBucketNotification',
  PutBucketNotificationConfiguration: 'PutBucketNotification',
  DeleteBucketTagging: 'PutBucketTagging',
  DeleteBucketOwnershipControls: 'PutBucketOwnershipControls',
  GetBucketAnalyticsConfiguration: 'GetAnalyticsConfiguration',
  PutBucketAnalyticsConfiguration: 'PutAnalyticsConfiguration',
  DeleteBucketAnalyticsConfiguration: 'PutAnalyticsConfiguration',
  ListBucketAnalyticsConfigurations: 'GetAnalyticsConfiguration',
  GetBucketInventoryConfiguration: 'GetInventoryConfiguration',
  PutBucketInventoryConfiguration: 'PutInventoryConfiguration',
  DeleteBucketInventoryConfiguration: 'PutInventoryConfiguration',
  ListBucketInventoryConfigurations: 'GetInventoryConfiguration',
  GetBucketMetricsConfiguration: 'GetMetricsConfiguration',
  PutBucketMetricsConfiguration: 'PutMetricsConfiguration',
  DeleteBucketMetricsConfiguration: 'PutMetricsConfiguration',
  ListBucketMetricsConfigurations: 'GetMetricsConfiguration',
  GetBucketIntelligentTieringConfiguration: 'GetIntelligentTieringConfiguration',
  PutBucketIntelligentTieringConfiguration: 'PutIntelligentTieringConfiguration',
  DeleteBucketIntelligentTieringConfiguration: 'PutIntelligentTieringConfiguration',
  ListBucketIntelligentTieringConfigurations: 'GetIntelligentTieringConfiguration',
  GetBucketAccelerateConfiguration: 'GetAccelerateConfiguration',
  PutBucketAccelerateConfiguration: 'PutAccelerateConfiguration',
  GetObjectLockConfiguration: 'GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 'PutBucketObjectLockConfiguration',
  DeleteObjects: 'DeleteObject',
  SelectObjectContent: 'GetObject',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  ListParts: 'ListMultipartUploadParts',
  ListMultipartUploads: 'ListBucketMultipartUploads',
  GetObjectAttributes: 'GetObjectAttributes',
};

/** With a `versionId`, object calls authorize against the `…Version…` action. */
const versioned: Readonly<Record<string, string>> = {
  GetObject: 'GetObjectVersion',
  DeleteObject: 'DeleteObjectVersion',
  GetObjectAcl: 'GetObjectVersionAcl',
  PutObjectAcl: 'PutObjectVersionAcl',
  GetObjectTagging: 'GetObjectVersionTagging',
  PutObjectTagging: 'PutObjectVersionTagging',
  DeleteObjectTagging: 'DeleteObjectVersionTagging',
  GetObjectAttributes: 'GetObjectVersionAttributes',
};

/** `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded, maybe with `?versionId=`. */
function copySource(event: TrailEvent): { bucket: string; key: string } | undefined {
  const raw = stringAt(event.requestParameters, 'x-amz-copy-source');
  if (raw === undefined) return undefined;
  let decoded = raw.split('?')[0] ?? raw;
  try {
    decoded = decodeURIComponent(decoded);
  } catch {
    // Not URL-encoded after all: use as logged.
  }
  const trimmed = decoded.replace(/^\//, '');
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) return undefined;
  return { bucket: trimmed.slice(0, slash), key: trimmed.slice(slash + 1) };
}

function uses(event: TrailEvent): readonly ActionUse[] | undefined {
  const params = event.requestParameters;
  const name = event.eventName;
  if (name === 'CopyObject' || name === 'UploadPartCopy') {
    const source = copySource(event);
    const read: ActionUse =
      source === undefined
        ? { action: 'GetObject', resources: [] }
        : { action: 'GetObject', values: { BucketName: source.bucket, ObjectName: source.key } };
    return [read, { action: 'PutObject' }];
  }
  if (name === 'DeleteObjects') {
    const keys = listAt(recordAt(params, 'delete'), 'Object')
      .map((o) => stringAt(o, 'Key', 'key'))
      .filter((k): k is string => k !== undefined);
    if (keys.length === 0) return undefined;
    return keys.map((key) => ({ action: 'DeleteObject', values: { ObjectName: key } }));
  }
  const action = ownEntry(names, name) ?? name;
  const version = stringAt(params, 'versionId');
  const versionedAction = ownEntry(versioned, action);
  if (version !== undefined && versionedAction !== undefined) return [{ action: versionedAction }];
  return undefined;
}

export const s3Rules: ServiceRules = {
  names,
  uses,
  values: (event) => {
    const bucket = stringAt(event.requestParameters, 'bucketName', 'Bucket', 'bucket');
    // Through an access point the "bucket" is the access point's ARN, with its own region and account.
    const accessPoint = bucket === undefined ? null : /^arn:[^:]+:s3:([^:]*):(\d{12}):accesspoint\/(.+)$/.exec(bucket);
    return {
      BucketName: accessPoint ? undefined : bucket,
      AccessPointName: accessPoint?.[3],
      Region: accessPoint?.[1],
      Account: accessPoint?.[2],
      ObjectName: stringAt(event.requestParameters, 'key', 'Key')?.replace(/^\//, ''),
    };
  },
  notAuthorization: {
    // S3 console's own storage-lens and bucket-listing helpers, not public API operations.
    GetStorageLensDashboardDataInternal: 'console-internal call',
  },
};
