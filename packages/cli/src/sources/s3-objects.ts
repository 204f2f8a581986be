import { GetObjectCommand, HeadBucketCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { Issue } from '@iamgen/core';
import { regionalClient } from '../aws-clients.js';
import type { AwsConnection } from '../aws-connection.js';
import { credentialProblem, describeAwsError, isTransientFault } from '../aws-connection.js';
import { RunFailure } from '../cli-io.js';
import { defaultMaxFileBytes, describeError, folderMayHoldWindow, isLogFile, unreadable } from './log-content.js';

export interface S3Window {
  readonly since?: string;
  readonly until?: string;
}

function s3Client(connection: AwsConnection, followRegionRedirects: boolean): Promise<S3Client> {
  return regionalClient(
    'S3',
    connection,
    (config) =>
      new S3Client({
        ...config,
        // A bucket answers from its own region: the SDK follows S3's redirect there, as the AWS CLI does.
        followRegionRedirects,
        // Custom endpoints (local servers, S3-compatible stores) rarely resolve bucket subdomains.
        ...(connection.endpointUrl === undefined ? {} : { forcePathStyle: true }),
      }),
    'us-east-1',
  );
}

/**
 * A client in the region of the bucket of `url`. A client in another region is answered with a redirect to every
 * request, which the SDK follows without remembering it: twice the requests for a whole read. One HeadBucket asks
 * first; when it cannot tell (no permission, a store that does not say), the client of the settings is used, and
 * redirects are still followed.
 */
export async function s3ClientForBucket(connection: AwsConnection, url: string): Promise<S3Client> {
  const { bucket } = parseS3Url(url);
  const probe = await s3Client(connection, false);
  const configured = await probe.config.region();
  let region: string | undefined;
  try {
    region = (await probe.send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion;
  } catch (error) {
    // A redirect names the bucket's region; anything else the listing meets again and reports.
    const headers = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers;
    region = headers?.['x-amz-bucket-region'];
  } finally {
    probe.destroy();
  }
  const known = region !== undefined && /^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region) && region !== configured;
  return s3Client(known ? { ...connection, region } : connection, true);
}

function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new RunFailure(`${url}: not an s3://bucket/prefix URL`);
  return { bucket: match[1] ?? '', prefix: match[2] ?? '' };
}

export interface S3LogObject {
  readonly key: string;
  readonly size: number;
  /** Changes whenever the object's content does. */
  readonly etag: string;
  /** How messages name the object: `s3://bucket/key`. */
  readonly display: string;
  /**
   * Fetches the object's bytes, or an Issue naming it when S3 answered about the object (access denied, gone).
   * A service or network fault that outlived the retries, or credentials S3 refused, throws a RunFailure: the
   * run cannot be complete.
   */
  load(): Promise<Uint8Array | Issue>;
}

/**
 * Every log object under an `s3://bucket/prefix` trail location, walked folder by folder (the delivery layout's
 * day folders outside `--since/--until` are never listed).
 */
export async function* listS3LogObjects(
  url: string,
  client: S3Client,
  window: S3Window = {},
  limits: { readonly maxAttempts?: number | undefined; readonly maxFileBytes: number } = {
    maxFileBytes: defaultMaxFileBytes,
  },
): AsyncGenerator<S3LogObject> {
  const { bucket, prefix } = parseS3Url(url);
  // `s3://trail/team-a` names the folder team-a/ (or an object of that key), as a local path would: a listing by
  // that prefix alone would also take team-ab/, another trail's logs.
  const named = prefix === '' || prefix.endsWith('/') ? undefined : prefix;
  for await (const { key, size, etag } of listKeys(client, bucket, prefix, window, named)) {
    const display = `s3://${bucket}/${key}`;
    yield {
      key,
      size,
      etag,
      display,
      load: async () => {
        try {
          return await getObjectBytes(client, bucket, key, limits.maxAttempts ?? 5, limits.maxFileBytes, display);
        } catch (error) {
          // Expired or invalid credentials fail every request alike: a skipped file would hide a partial read.
          if (isTransientFault(error) || credentialProblem(error) !== undefined)
            throw new RunFailure(`cannot read ${display} (${describeAwsError(error)})`);
          return unreadable(display, describeError(error));
        }
      },
    };
  }
}

/**
 * The SDK retries a request until its response headers arrive; a connection reset while the body streams in is
 * past its reach, so the whole GET is tried again here with the same bound and a jittered backoff.
 */
async function getObjectBytes(
  client: S3Client,
  bucket: string,
  key: string,
  maxAttempts: number,
  maxFileBytes: number,
  display: string,
): Promise<Uint8Array | Issue> {
  for (let attempt = 1; ; attempt += 1) {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    // Too big is known from the headers: leave the body unread rather than hold it in memory.
    if (object.ContentLength !== undefined && object.ContentLength > maxFileBytes) {
      (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      return unreadable(display, `larger than --max-file-bytes (${object.ContentLength} > ${maxFileBytes} bytes)`);
    }
    try {
      return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      if (attempt >= maxAttempts || !isTransientFault(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
    }
  }
}

async function* listKeys(
  client: S3Client,
  bucket: string,
  prefix: string,
  window: S3Window,
  named?: string,
): AsyncGenerator<{ key: string; size: number; etag: string }> {
  const folders: string[] = [];
  const wanted = (key: string, isFolder: boolean) => named === undefined || key === (isFolder ? `${named}/` : named);
  try {
    for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined && isLogFile(object.Key) && wanted(object.Key, false)) {
          yield { key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '' };
        }
      }
      for (const common of page.CommonPrefixes ?? []) {
        if (common.Prefix !== undefined && wanted(common.Prefix, true)) folders.push(common.Prefix);
      }
    }
  } catch (error) {
    throw new RunFailure(`cannot list s3://${bucket}/${prefix} (${describeAwsError(error)})`);
  }
  for (const folder of folders.sort()) {
    if (folder.endsWith('CloudTrail-Digest/') || !folderMayHoldWindow(`/${folder}`, window)) continue;
    yield* listKeys(client, bucket, folder, window);
  }
}
