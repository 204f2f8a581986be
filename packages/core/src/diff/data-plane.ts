/**
 * Actions CloudTrail records only as data events (or not at all): when the input held no data events, logs
 * cannot say these were unused, only that their use is unknown.
 */
const dataPlane: readonly RegExp[] = [
  /^s3:(Get|Put|Delete|Restore|Abort)Object/,
  /^s3:(ListMultipartUploadParts|GetObjectAttributes|AbortMultipartUpload)$/,
  // ListObjects(V2), ListObjectVersions and ListMultipartUploads are data events; ListBuckets is not.
  /^s3:ListBucket(Versions|MultipartUploads)?$/,
  /^s3-object-lambda:/,
  /^dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem|Query|Scan|BatchGetItem|BatchWriteItem|ConditionCheckItem|PartiQL.*|GetRecords|GetShardIterator)$/,
  /^lambda:InvokeFunction(Url)?$/,
  /^sqs:(SendMessage|ReceiveMessage|DeleteMessage|ChangeMessageVisibility)/,
  /^sns:Publish$/,
  /^kinesis:(PutRecords?|GetRecords|GetShardIterator|SubscribeToShard)$/,
  /^logs:(PutLogEvents|GetLogEvents|FilterLogEvents)$/,
  /^states:(SendTask.*|StartSyncExecution)$/,
  /^execute-api:/,
  /^bedrock:InvokeModel/,
  /^cloudwatch:PutMetricData$/,
  /^xray:Put/,
];

export function isDataPlaneAction(action: string): boolean {
  return dataPlane.some((pattern) => pattern.test(action));
}

/** The services whose data events the accesses show: those of their data-plane actions. */
export function dataEventServicesOf(accesses: Iterable<{ readonly action: string }>): Set<string> {
  const services = new Set<string>();
  for (const { action } of accesses) {
    if (isDataPlaneAction(action)) services.add(action.slice(0, action.indexOf(':')).toLowerCase());
  }
  return services;
}
