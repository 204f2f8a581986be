/** Where a record came from, so every issue can name it. */
export interface Origin {
  /** File path, S3 key, or source label such as `lookup-events`. */
  readonly source: string;
  /** 0-based position of the record inside its source, when known. */
  readonly index?: number;
}

export interface TrailResource {
  readonly arn?: string;
  readonly type?: string;
  readonly accountId?: string;
}

export interface TrailIdentity {
  readonly type?: string;
  readonly arn?: string;
  readonly accountId?: string;
  readonly principalId?: string;
  readonly userName?: string;
  readonly invokedBy?: string;
  /** ARN of the role (or user) that issued the session, from `sessionContext.sessionIssuer`. */
  readonly issuerArn?: string;
  readonly issuerType?: string;
}

/** One CloudTrail event after normalization: the fields the pipeline relies on, typed and checked. */
export interface TrailEvent {
  readonly eventSource: string;
  readonly eventName: string;
  /** CloudTrail's `eventID`, kept as evidence (one sample event per access). */
  readonly eventId?: string;
  /** ISO-8601 UTC; absent in some exports (e.g. logstash-shaped records carry `@timestamp` instead). */
  readonly eventTime?: string;
  readonly eventType?: string;
  readonly eventCategory?: string;
  readonly awsRegion: string;
  readonly recipientAccountId?: string;
  readonly userIdentity: TrailIdentity;
  readonly requestParameters: Readonly<Record<string, unknown>>;
  readonly responseElements: Readonly<Record<string, unknown>>;
  readonly additionalEventData: Readonly<Record<string, unknown>>;
  readonly resources: readonly TrailResource[];
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly sourceIPAddress?: string;
  readonly vpcEndpointId?: string;
  readonly userAgent?: string;
  readonly readOnly?: boolean;
  readonly managementEvent?: boolean;
  readonly sessionCredentialFromConsole?: boolean;
  readonly origin: Origin;
}

/** Condition block as IAM writes it: operator → key → values. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

/**
 * One permission use: an IAM action on a resource, with the condition context the request carried
 * (only keys that iamgen may put into a policy, e.g. `kms:ViaService`, `iam:PassedToService`).
 */
export interface Access {
  /** `prefix:Action` with the catalog's casing. */
  readonly action: string;
  /** Concrete ARN, or `*` when the action supports no resource type or the ARN could not be built. */
  readonly resource: string;
  /** Condition keys and the single value this request had for each. */
  readonly context?: Readonly<Record<string, string>>;
  /** True when the action supports a resource type but no ARN could be built. */
  readonly resourceUnknown?: boolean;
}

export type IssueKind =
  | 'unreadable-file'
  | 'malformed-record'
  | 'unmapped-event'
  | 'denied-call'
  | 'resource-unknown'
  | 'not-an-authorization';

export interface Issue {
  readonly kind: IssueKind;
  readonly origin: Origin;
  /** One line, names the reason. */
  readonly message: string;
  readonly eventSource?: string;
  readonly eventName?: string;
  readonly action?: string;
  readonly resource?: string;
}
