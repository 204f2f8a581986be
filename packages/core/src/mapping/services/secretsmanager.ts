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
  if (fromArn) return fromArn[1];
  return `${value}-??????`;
}

export const secretsmanagerRules: ServiceRules = {
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
