import { isDataPlaneAction } from './diff/data-plane.js';
import type { Access } from './types.js';

/** Services whose everyday use shows only in data events, and what a policy without them lacks. */
const dataPlaneUse: Readonly<Record<string, string>> = {
  s3: 'object reads and writes (s3:GetObject, s3:PutObject…)',
  dynamodb: 'item reads and writes (dynamodb:GetItem, dynamodb:PutItem, dynamodb:Query…)',
  lambda: 'function invocations (lambda:InvokeFunction)',
  sqs: 'message sends and receives (sqs:SendMessage, sqs:ReceiveMessage…)',
  sns: 'publishing (sns:Publish)',
  kinesis: 'record reads and writes (kinesis:PutRecord, kinesis:GetRecords…)',
};

export interface DataEventGap {
  readonly service: string;
  /** What the policy may be missing for this service. */
  readonly missing: string;
}

/**
 * Services the principal used whose data-plane calls the source does not show: no data events at all, or none
 * for that service (a trail's selectors often cover S3 but not DynamoDB). Their data-plane use is unknown.
 */
export function dataEventGaps(accesses: readonly Access[], sawAnyDataEvents: boolean): DataEventGap[] {
  const used = new Set<string>();
  const withDataEvents = new Set<string>();
  for (const { action } of accesses) {
    const service = action.slice(0, action.indexOf(':'));
    used.add(service);
    if (sawAnyDataEvents && isDataPlaneAction(action)) withDataEvents.add(service);
  }
  return Object.keys(dataPlaneUse)
    .filter((service) => used.has(service) && !withDataEvents.has(service))
    .map((service) => ({ service, missing: dataPlaneUse[service] ?? '' }));
}
