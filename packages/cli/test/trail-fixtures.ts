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
}

export const testAccount = '123456789012';

export function trailEvent(spec: EventSpec): Record<string, unknown> {
  const identity =
    spec.user !== undefined
      ? {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLE',
          arn: `arn:aws:iam::${testAccount}:user/${spec.user}`,
          accountId: testAccount,
          userName: spec.user,
        }
      : {
          type: 'AssumedRole',
          principalId: `AROAEXAMPLE:${spec.role ?? 'app'}-session`,
          arn: `arn:aws:sts::${testAccount}:assumed-role/${spec.role ?? 'app'}/${spec.role ?? 'app'}-session`,
          accountId: testAccount,
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLE',
              arn: `arn:aws:iam::${testAccount}:role/${spec.role ?? 'app'}`,
              accountId: testAccount,
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
    eventID: '00000000-0000-0000-0000-000000000000',
    readOnly: false,
    eventType: spec.eventType ?? 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: testAccount,
    eventCategory: 'Management',
  };
}
