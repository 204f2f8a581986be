import { CloudTrailClient, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import type { RecordOrIssue } from '@iamgen/core';
import { recordsOfDocument } from '@iamgen/core';
import { awsClientConfig } from '../aws-clients.js';
import type { AwsConnection } from '../aws-connection.js';
import { describeAwsError } from '../aws-connection.js';
import { RunFailure } from '../cli-io.js';

export interface LookupWindow {
  /** ISO-8601; LookupEvents keeps 90 days, which is also the default window. */
  readonly since?: string;
  readonly until?: string;
  readonly onPage?: () => void;
}

export function cloudTrailClient(connection: AwsConnection, region: string): CloudTrailClient {
  return new CloudTrailClient(awsClientConfig({ ...connection, region }));
}

/**
 * The management events of one region from the LookupEvents API. It never returns data events, so what it
 * yields can show management calls only.
 */
export async function* readLookupEvents(
  client: CloudTrailClient,
  region: string,
  window: LookupWindow,
  now = new Date(),
): AsyncGenerator<RecordOrIssue> {
  const source = `lookup-events:${region}`;
  const start = window.since === undefined ? new Date(now.getTime() - 90 * 86400e3) : new Date(window.since);
  const end = window.until === undefined ? now : new Date(window.until);
  let index = 0;
  try {
    for await (const page of paginateLookupEvents({ client }, { StartTime: start, EndTime: end, MaxResults: 50 })) {
      window.onPage?.();
      for (const event of page.Events ?? []) {
        // Each item is a LookupEvents `Events[]` entry; its `CloudTrailEvent` is the record as a JSON string.
        yield* recordsOfDocument(event, source, index);
        index += 1;
      }
    }
  } catch (error) {
    throw new RunFailure(`cannot read LookupEvents in ${region} (${describeAwsError(error)})`);
  }
}
