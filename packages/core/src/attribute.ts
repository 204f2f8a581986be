import type { TrailEvent } from './types.js';

export type PrincipalKind = 'role' | 'user' | 'root' | 'federated-user' | 'service' | 'unknown';

export interface Principal {
  readonly kind: PrincipalKind;
  /** IAM ARN of the role or user that holds the permissions (role ARN, not the STS session ARN). */
  readonly arn: string;
  readonly accountId?: string;
}

const assumedRolePattern = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;
const federatedPattern = /^arn:(aws[a-z-]*):sts::(\d{12}):federated-user\/(.+)$/;

/** Who holds the permissions an event used. Assumed-role sessions resolve to the role (keeping its path). */
export function principalOf(event: TrailEvent): Principal {
  const identity = event.userIdentity;
  const accountId = identity.accountId;
  const withAccount = (kind: PrincipalKind, arn: string): Principal =>
    accountId === undefined ? { kind, arn } : { kind, arn, accountId };
  switch (identity.type) {
    case 'AssumedRole': {
      if (identity.issuerArn !== undefined && identity.issuerType !== 'User')
        return withAccount('role', identity.issuerArn);
      const match = identity.arn === undefined ? null : assumedRolePattern.exec(identity.arn);
      if (match) return withAccount('role', `arn:${match[1]}:iam::${match[2]}:role/${match[3]}`);
      break;
    }
    case 'IAMUser':
      if (identity.arn !== undefined) return withAccount('user', identity.arn);
      break;
    case 'Root':
      if (identity.arn !== undefined) return withAccount('root', identity.arn);
      break;
    case 'FederatedUser': {
      if (identity.issuerArn !== undefined) return withAccount('user', identity.issuerArn);
      const match = identity.arn === undefined ? null : federatedPattern.exec(identity.arn);
      if (match) return withAccount('federated-user', identity.arn ?? '');
      break;
    }
    case 'AWSService':
      return withAccount('service', identity.invokedBy ?? event.eventSource);
    default:
      break;
  }
  if (identity.arn !== undefined) return withAccount('unknown', identity.arn);
  if (identity.invokedBy !== undefined) return withAccount('service', identity.invokedBy);
  return withAccount('unknown', identity.principalId ?? 'unknown');
}

/**
 * Whether what the pipeline makes of an event could depend on the session's name, which is the last part of an
 * assumed role's session ARN and of its principal id. It does not when the role is recorded as the issuer (the
 * principal is then the issuer, see `principalOf`) and the call is not to IAM (the mapping reads the caller's ARN
 * only for its partition elsewhere, see `mappingCacheKey`). Session names often vary from call to call (instance
 * ids, build numbers, people's names), so calls that differ only by them are the same call.
 */
export function readsSessionName(event: TrailEvent): boolean {
  const identity = event.userIdentity;
  return (
    identity.type !== 'AssumedRole' ||
    identity.issuerArn === undefined ||
    identity.issuerType === 'User' ||
    event.eventSource === 'iam.amazonaws.com'
  );
}

/** Path-free name of a role or user ARN: `arn:aws:iam::1:role/service/app` → `app`. */
export function principalName(arn: string): string {
  // Called for every record of an `--all` read: index arithmetic instead of split and join.
  let colon = -1;
  for (let field = 0; field < 5; field++) {
    colon = arn.indexOf(':', colon + 1);
    if (colon === -1) return '';
  }
  const slash = arn.lastIndexOf('/');
  return slash > colon ? arn.slice(slash + 1) : arn.slice(colon + 1);
}

export interface PrincipalSelector {
  readonly kind: 'role' | 'user';
  /** A name (`app`) or a full IAM ARN (`arn:aws:iam::123456789012:role/service/app`). */
  readonly value: string;
}

/**
 * Whether a principal is the one asked for. A name matches the last path segment; an ARN matches exactly,
 * or by account and name when the log only let us derive the ARN without its path.
 */
export function selectorMatches(selector: PrincipalSelector, principal: Principal): boolean {
  const kinds: readonly PrincipalKind[] = selector.kind === 'role' ? ['role'] : ['user', 'federated-user'];
  if (!kinds.includes(principal.kind)) return false;
  if (!selector.value.startsWith('arn:')) return principalName(principal.arn) === selector.value;
  if (selector.value === principal.arn) return true;
  const [, , , , wantedAccount] = selector.value.split(':');
  const [, , , , account] = principal.arn.split(':');
  return wantedAccount === account && principalName(selector.value) === principalName(principal.arn);
}

/**
 * Service-linked roles live under `/aws-service-role/` and are always named `AWSServiceRoleFor…`; the name alone
 * tells them apart in records that give the role without its path.
 */
export function isServiceLinkedRole(arn: string): boolean {
  return arn.includes(':role/aws-service-role/') || principalName(arn).startsWith('AWSServiceRoleFor');
}

export type NonAuthorizationReason =
  | 'service-event'
  | 'vpc-endpoint-event'
  | 'insight-event'
  | 'console-sign-in'
  | 'service-linked-role'
  | 'called-by-aws-service';

/**
 * Events that were not an authorization of the principal's own permissions: AWS service events,
 * console sign-ins, and calls AWS services make through service-linked roles.
 */
export function nonAuthorizationReason(event: TrailEvent, principal: Principal): NonAuthorizationReason | undefined {
  const eventType = event.eventType?.toLowerCase();
  if (eventType === 'awsserviceevent') return 'service-event';
  if (eventType === 'awsconsolesignin') return 'console-sign-in';
  // Records of calls denied at a VPC endpoint by its policy, and CloudTrail Insights summaries.
  if (eventType === 'awsvpceevent') return 'vpc-endpoint-event';
  if (eventType === 'awscloudtrailinsight') return 'insight-event';
  if (principal.kind === 'service') return 'called-by-aws-service';
  if (principal.kind === 'role' && isServiceLinkedRole(principal.arn)) return 'service-linked-role';
  return undefined;
}
