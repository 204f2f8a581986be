import { compareCodePoints } from './collections.js';
import type { Access } from './types.js';

/** Grants that let a principal raise its own or another's privileges: never on a bare `*`. */
const escalation =
  /^(iam:(PassRole|CreateRole|Attach(Role|User|Group)Policy|Put(Role|User|Group)Policy)|sts:AssumeRole)$/;
const instanceProfile = /^arn:(aws[a-z-]*):iam::(\d{12}):instance-profile\/(.+)$/;
const principalArn = /^arn:(aws[a-z-]*):(?:iam|sts)::(\d{12}):/;

/** A grant left wider than the observed call, which a person has to narrow. */
export interface GrantToNarrow {
  readonly action: string;
  readonly resource: string;
  /** What the logs named instead of the role: an instance profile, or nothing. */
  readonly observed: string;
  readonly reason: string;
}

export interface EscalationOptions {
  /** The principal whose policy this is; its partition and account bound the fallback `role/*`. */
  readonly principalArn: string;
  /** Instance profile ARN → ARNs of its roles, from an authorization-details dump or live IAM. */
  readonly instanceProfiles?: ReadonlyMap<string, readonly string[]>;
}

/**
 * Privilege-escalation grants are never `*`. `iam:PassRole` for an instance profile becomes PassRole on the
 * profile's roles when IAM data names them; otherwise, and for any of these actions whose resource the log did
 * not name, the grant is the principal's own account's `role/*` (`user/*`, `group/*` for user and group
 * policies), still limited by `iam:PassedToService`, and listed for a person to narrow.
 */
export function narrowEscalationGrants(
  accesses: readonly Access[],
  options: EscalationOptions,
): { accesses: Access[]; toNarrow: GrantToNarrow[] } {
  const owner = principalArn.exec(options.principalArn);
  const out: Access[] = [];
  const toNarrow = new Map<string, GrantToNarrow>();
  for (const access of accesses) {
    if (!escalation.test(access.action)) {
      out.push(access);
      continue;
    }
    const profile = instanceProfile.exec(access.resource);
    if (profile === null && access.resource !== '*') {
      out.push(access);
      continue;
    }
    const roles = profile === null ? undefined : options.instanceProfiles?.get(access.resource);
    if (roles !== undefined && roles.length > 0) {
      for (const role of roles) out.push(withResource(access, role));
      continue;
    }
    const partition = profile?.[1] ?? owner?.[1];
    const account = profile?.[2] ?? owner?.[2];
    if (partition === undefined || account === undefined) {
      out.push(access);
      continue;
    }
    const type = /UserPolicy$/.test(access.action) ? 'user' : /GroupPolicy$/.test(access.action) ? 'group' : 'role';
    const resource = `arn:${partition}:iam::${account}:${type}/*`;
    out.push(withResource(access, resource));
    const observed = profile === null ? 'no resource in the log' : access.resource;
    toNarrow.set(`${access.action}\u0000${resource}\u0000${observed}`, {
      action: access.action,
      resource,
      observed,
      reason:
        profile === null
          ? 'the log names no target; narrow to the roles it needs'
          : 'the role behind the instance profile is unknown without IAM data; narrow to that role',
    });
  }
  return {
    accesses: out,
    toNarrow: [...toNarrow.values()].sort(
      (a, b) => compareCodePoints(a.action, b.action) || compareCodePoints(a.observed, b.observed),
    ),
  };
}

function withResource(access: Access, resource: string): Access {
  const { resourceUnknown: _unknown, ...rest } = access;
  return { ...rest, resource };
}
