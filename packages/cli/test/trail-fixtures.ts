/** Builds CloudTrail records in the real schema for tests; only what a test names differs. */
export interface EventSpec {
  readonly role?: string;
  readonly user?: string;
  readonly source: string;
  readonly name: string;
  readonly time?: string;
  readonly region?: string;
  readonly params?: Record<string, unknown>;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly eventType?: string;
  /** Account of the principal and of the call; the test account unless named. */
  readonly account?: string;
  readonly eventId?: string;
}

export const testAccount = '123456789012';

export function trailEvent(spec: EventSpec): Record<string, unknown> {
  const account = spec.account ?? testAccount;
  const identity =
    spec.user !== undefined
      ? {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLE',
          arn: `arn:aws:iam::${account}:user/${spec.user}`,
          accountId: account,
          userName: spec.user,
        }
      : {
          type: 'AssumedRole',
          principalId: `AROAEXAMPLE:${spec.role ?? 'app'}-session`,
          arn: `arn:aws:sts::${account}:assumed-role/${spec.role ?? 'app'}/${spec.role ?? 'app'}-session`,
          accountId: account,
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLE',
              arn: `arn:aws:iam::${account}:role/${spec.role ?? 'app'}`,
              accountId: account,
              userName: spec.role ?? 'app',
            },
          },
        };
  return {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: spec.time ?? '2024-05-01T12:00:00Z',
    eventSource: `${spec.source}.amazonaws.com`,
    eventName: spec.name,
    awsRegion: spec.region ?? 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-sdk-js/3.0.0',
    requestParameters: spec.params ?? null,
    responseElements: null,
    ...(spec.errorCode === undefined ? {} : { errorCode: spec.errorCode }),
    ...(spec.errorMessage === undefined ? {} : { errorMessage: spec.errorMessage }),
    eventID: spec.eventId ?? '00000000-0000-0000-0000-000000000000',
    readOnly: false,
    eventType: spec.eventType ?? 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
}
