import type { Access, TrailEvent } from '../types.js';
import { partitionOfRegion } from './arn-template.js';
import { isRecord } from './request-values.js';

const roleArn = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/.+$/;
/** Request keys that hand a role to a service: `role`, `roleArn`, `executionRoleArn`, `taskRoleArn`, `serviceRole`… */
const roleKey = /(^|[a-z])role(arn)?$/i;
/** Services where a role ARN in the request is the target of the call, not a role being passed. */
const notPassing = new Set(['sts.amazonaws.com', 'iam.amazonaws.com']);
/** Request keys naming an instance profile, whose role the log does not show. */
const instanceProfileKey = /^iamInstanceProfile$/i;

/**
 * `iam:PassRole` is never logged: it is checked when a call hands a role to a service. Any role ARN under a
 * role-like request key (at any depth, e.g. ECS container definitions) is passed to the called service.
 */
export function passRoleAccesses(event: TrailEvent): Access[] {
  if (notPassing.has(event.eventSource)) return [];
  const passedTo = event.eventSource;
  const found = new Set<string>();
  let instanceProfile = false;
  const profiles = new Set<string>();
  const visit = (value: unknown, key: string, depth: number): void => {
    if (depth > 6) return;
    if (typeof value === 'string') {
      if (roleKey.test(key) && roleArn.test(value)) found.add(value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key, depth + 1);
      return;
    }
    if (isRecord(value)) {
      for (const inner of Object.keys(value)) {
        if (instanceProfileKey.test(inner)) {
          instanceProfile = true;
          const profile = instanceProfileArn(value[inner], event);
          if (profile !== undefined) profiles.add(profile);
        }
        visit(value[inner], inner, depth + 1);
      }
    }
  };
  visit(event.requestParameters, '', 0);
  const accesses: Access[] = [...found].sort().map((resource) => ({
    action: 'iam:PassRole',
    resource,
    context: { 'iam:PassedToService': passedTo },
  }));
  if (instanceProfile && accesses.length === 0) {
    // The role is behind the profile: the profile's ARN stands in until IAM data resolves it to its role.
    for (const resource of [...profiles].sort())
      accesses.push({ action: 'iam:PassRole', resource, context: { 'iam:PassedToService': passedTo } });
  }
  if (instanceProfile && accesses.length === 0) {
    accesses.push({
      action: 'iam:PassRole',
      resource: '*',
      resourceUnknown: true,
      context: { 'iam:PassedToService': passedTo },
    });
  }
  return accesses;
}

const profileArn = /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/.+$/;

/** `{ name }`, `{ arn }` (EC2, launch templates) or a bare name or ARN (Auto Scaling launch configurations). */
function instanceProfileArn(value: unknown, event: TrailEvent): string | undefined {
  const given = isRecord(value) ? (value.arn ?? value.name) : value;
  if (typeof given !== 'string' || given === '') return undefined;
  if (profileArn.test(given)) return given;
  const account = event.recipientAccountId ?? event.userIdentity.accountId;
  if (account === undefined || given.includes(':')) return undefined;
  return `arn:${partitionOfRegion(event.awsRegion)}:iam::${account}:instance-profile/${given}`;
}
