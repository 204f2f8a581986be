import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import type { Issue } from '@iamgen/core';
import { RunFailure } from '../cli-io.js';
import type { AwsConnection } from '../current-policy/from-iam.js';
import { describeError, folderMayHoldWindow, isLogFile, unreadable } from './log-content.js';

export interface S3Window {
  readonly since?: string;
  readonly until?: string;
}

export function s3Client(connection: AwsConnection): S3Client {
  return new S3Client({
    region: connection.region ?? 'us-east-1',
    ...(connection.endpointUrl === undefined ? {} : { endpoint: connection.endpointUrl, forcePathStyle: true }),
    ...(connection.profile === undefined ? {} : { credentials: fromIni({ profile: connection.profile }) }),
  });
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
  /** Fetches the object's bytes, or an Issue naming it. */
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
): AsyncGenerator<S3LogObject> {
  const { bucket, prefix } = parseS3Url(url);
  for await (const { key, size, etag } of listKeys(client, bucket, prefix, window)) {
    const display = `s3://${bucket}/${key}`;
    yield {
      key,
      size,
      etag,
      display,
      load: async () => {
        try {
          const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
        } catch (error) {
          return unreadable(display, describeError(error));
        }
      },
    };
  }
}

async function* listKeys(
  client: S3Client,
  bucket: string,
  prefix: string,
  window: S3Window,
): AsyncGenerator<{ key: string; size: number; etag: string }> {
  const folders: string[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined && isLogFile(object.Key)) {
          yield { key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '' };
        }
      }
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix !== undefined) folders.push(common.Prefix);
    }
  } catch (error) {
    throw new RunFailure(
      `cannot list s3://${bucket}/${prefix} (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`,
    );
  }
  for (const folder of folders.sort()) {
    if (folder.endsWith('CloudTrail-Digest/') || !folderMayHoldWindow(`/${folder}`, window)) continue;
    yield* listKeys(client, bucket, folder, window);
  }
}
