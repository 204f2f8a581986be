import type { TrailEvent } from '../../types.js';
import { stringAt, stringsAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

/**
 * Secret ARNs end in `-` and six random characters the request does not carry. A name becomes
 * `name-??????`, which matches exactly that secret's ARN and no other name.
 */
function secretId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const fromArn = /:secret:(.+)$/.exec(value);
  return withSuffix(fromArn ? (fromArn[1] ?? '') : value);
}

/**
 * A secret's name as its ARN ends: a partial ARN or a name (without the six characters) gets `-??????`. A name
 * that already ends in `-` and six letters or digits is taken as complete, as Secrets Manager itself does.
 */
function withSuffix(name: string): string {
  return /-[A-Za-z0-9]{6}$/.test(name) ? name : `${name}-??????`;
}

/** A secret ARN in the request, completed when it is partial (`…:secret:prod/db`): it matches no secret as is. */
function canonicalSecretArn(arn: string): string {
  const at = arn.indexOf(':secret:');
  return at === -1 ? arn : `${arn.slice(0, at + ':secret:'.length)}${withSuffix(arn.slice(at + ':secret:'.length))}`;
}

export const secretsmanagerRules: ServiceRules = {
  canonicalArn: canonicalSecretArn,
  uses: (event: TrailEvent): readonly ActionUse[] | undefined => {
    if (event.eventName !== 'BatchGetSecretValue') return undefined;
    const ids = stringsAt(event.requestParameters, 'secretIdList');
    if (ids.length === 0) return undefined;
    // Each secret read by a batch call needs GetSecretValue on it, besides BatchGetSecretValue itself.
    return [
      { action: 'BatchGetSecretValue' },
      ...ids.map((id) => ({ action: 'GetSecretValue', values: { SecretId: secretId(id) } })),
    ];
  },
  values: (event: TrailEvent) => ({
    SecretId: secretId(stringAt(event.requestParameters, 'secretId', 'SecretId', 'name')),
  }),
};
