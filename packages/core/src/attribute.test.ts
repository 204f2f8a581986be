import { describe, expect, it } from 'vitest';
import { nonAuthorizationReason, principalName, principalOf, selectorMatches } from './attribute.js';
import type { TrailEvent, TrailIdentity } from './types.js';

function event(userIdentity: TrailIdentity, extra: Partial<TrailEvent> = {}): TrailEvent {
  return {
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    userIdentity,
    requestParameters: {},
    responseElements: {},
    additionalEventData: {},
    resources: [],
    origin: { source: 't' },
    ...extra,
  };
}

describe('principalOf', () => {
  it.each([
    [
      'an assumed role, from its session issuer (keeps the path)',
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::1:assumed-role/app/s',
        issuerArn: 'arn:aws:iam::1:role/svc/app',
        issuerType: 'Role',
      },
      { kind: 'role', arn: 'arn:aws:iam::1:role/svc/app' },
    ],
    [
      'an assumed role without session context, from the STS ARN',
      { type: 'AssumedRole', arn: 'arn:aws-cn:sts::111122223333:assumed-role/app/i-0abc' },
      { kind: 'role', arn: 'arn:aws-cn:iam::111122223333:role/app' },
    ],
    [
      'an IAM user',
      { type: 'IAMUser', arn: 'arn:aws:iam::1:user/alice' },
      { kind: 'user', arn: 'arn:aws:iam::1:user/alice' },
    ],
    ['the root user', { type: 'Root', arn: 'arn:aws:iam::1:root' }, { kind: 'root', arn: 'arn:aws:iam::1:root' }],
    [
      'a federated user, as the IAM user who issued the token',
      {
        type: 'FederatedUser',
        arn: 'arn:aws:sts::1:federated-user/bob',
        issuerArn: 'arn:aws:iam::1:user/alice',
        issuerType: 'IAMUser',
      },
      { kind: 'user', arn: 'arn:aws:iam::1:user/alice' },
    ],
    [
      'an AWS service',
      { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
      { kind: 'service', arn: 'ec2.amazonaws.com' },
    ],
    [
      'a service event with no identity type',
      { invokedBy: 'secretsmanager.amazonaws.com' },
      { kind: 'service', arn: 'secretsmanager.amazonaws.com' },
    ],
  ] as const)('resolves %s', (_, identity, expected) => {
    expect(principalOf(event(identity))).toMatchObject(expected);
  });
});

describe('selectorMatches', () => {
  const role = { kind: 'role' as const, arn: 'arn:aws:iam::123456789012:role/ci/deployer' };
  it.each([
    [{ kind: 'role', value: 'deployer' }, true],
    [{ kind: 'role', value: 'ci/deployer' }, false],
    [{ kind: 'role', value: 'arn:aws:iam::123456789012:role/ci/deployer' }, true],
    [{ kind: 'role', value: 'arn:aws:iam::123456789012:role/deployer' }, true],
    [{ kind: 'role', value: 'arn:aws:iam::999999999999:role/ci/deployer' }, false],
    [{ kind: 'user', value: 'deployer' }, false],
  ] as const)('%j → %s', (selector, expected) => {
    expect(selectorMatches(selector, role)).toBe(expected);
  });
});

describe('nonAuthorizationReason', () => {
  const role = { kind: 'role' as const, arn: 'arn:aws:iam::1:role/app' };
  it.each([
    [{ eventType: 'AwsServiceEvent' }, role, 'service-event'],
    [{ eventType: 'AwsConsoleSignin' }, role, 'console-sign-in'],
    [{ eventType: 'AwsVpceEvent' }, role, 'vpc-endpoint-event'],
    [{ eventType: 'AwsCloudTrailInsight' }, role, 'insight-event'],
    [
      {},
      { kind: 'role' as const, arn: 'arn:aws:iam::1:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS' },
      'service-linked-role',
    ],
    [{}, { kind: 'service' as const, arn: 'ec2.amazonaws.com' }, 'called-by-aws-service'],
    [{ eventType: 'AwsApiCall' }, role, undefined],
  ] as const)('%j by %j → %s', (extra, principal, expected) => {
    expect(nonAuthorizationReason(event({}, extra), principal)).toBe(expected);
  });
});

describe('principalName', () => {
  it.each([
    ['arn:aws:iam::1:role/app', 'app'],
    ['arn:aws:iam::1:role/service/team/app', 'app'],
    ['arn:aws:iam::1:user/alice', 'alice'],
    ['arn:aws:iam::1:root', 'root'],
    ['arn:aws:iam::1:role', 'role'],
    ['arn:aws:iam::1:role/', ''],
    ['arn:aws:iam::1:a:b/c', 'c'],
    ['arn:aws:iam::1', ''],
    ['a/b:c', ''],
    ['', ''],
  ])('%s → %s', (arn, name) => {
    expect(principalName(arn)).toBe(name);
  });
});
