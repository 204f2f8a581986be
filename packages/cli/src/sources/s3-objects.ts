import { GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import type { RecordOrIssue } from '@iamgen/core';
import { RunFailure } from '../cli-io.js';
import type { AwsConnection } from '../current-policy/from-iam.js';
import type { ReadAheadHooks } from './log-content.js';
import { describeError, folderMayHoldWindow, isLogFile, readAhead, recordsOfLogFile } from './log-content.js';

export interface S3ReadOptions extends ReadAheadHooks {
  readonly since?: string;
  readonly until?: string;
  readonly concurrency?: number;
}

export function isS3Url(value: string): boolean {
  return value.startsWith('s3://');
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

/**
 * Every record under an `s3://bucket/prefix` trail location, walked folder by folder (the delivery layout's
 * day folders outside `--since/--until` are never listed), a bounded number of objects read at once.
 */
export async function* readS3Records(
  url: string,
  client: S3Client,
  options: S3ReadOptions = {},
): AsyncGenerator<RecordOrIssue> {
  const { bucket, prefix } = parseS3Url(url);
  const read = async (key: string): Promise<RecordOrIssue[]> => {
    const display = `s3://${bucket}/${key}`;
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = await object.Body?.transformToByteArray();
      return recordsOfLogFile(key, Buffer.from(bytes ?? []), display);
    } catch (error) {
      return [{ kind: 'unreadable-file', origin: { source: display }, message: `${display}: ${describeError(error)}` }];
    }
  };
  yield* readAhead(listKeys(client, bucket, prefix, options), read, options.concurrency ?? 8, options);
}

async function* listKeys(
  client: S3Client,
  bucket: string,
  prefix: string,
  window: S3ReadOptions,
): AsyncGenerator<string> {
  const folders: string[] = [];
  try {
    for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
      for (const object of page.Contents ?? []) if (object.Key !== undefined && isLogFile(object.Key)) yield object.Key;
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
