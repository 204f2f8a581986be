import type { TrailEvent } from '../../types.js';
import { stringAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

const keyArn = /^arn:[^:]+:kms:[^:]*:\d{12}:key\/.+$/;

/** A key id, key ARN, or alias → what goes into `key/${KeyId}` (aliases can't name the key; undefined). */
function keyIdOf(value: string | undefined): string | undefined {
  if (value === undefined || value.startsWith('alias/') || value.includes(':alias/')) return undefined;
  if (value.startsWith('arn:')) return /:key\/(.+)$/.exec(value)?.[1];
  return value;
}

function uses(event: TrailEvent): readonly ActionUse[] | undefined {
  if (event.eventName !== 'ReEncrypt') return undefined;
  const destination = keyIdOf(stringAt(event.requestParameters, 'destinationKeyId'));
  const source = keyIdOf(stringAt(event.requestParameters, 'sourceKeyId'));
  const logged = event.resources
    .map((r) => r.arn)
    .filter((arn): arn is string => arn !== undefined && keyArn.test(arn));
  const isDestination = (arn: string) => destination !== undefined && arn.endsWith(`:key/${destination}`);
  const sourceArns = source === undefined ? logged.filter((arn) => !isDestination(arn)) : [];
  const destinationArns = logged.filter(isDestination);
  return [
    source === undefined
      ? { action: 'ReEncryptFrom', resources: sourceArns }
      : { action: 'ReEncryptFrom', values: { KeyId: source } },
    destinationArns.length > 0
      ? { action: 'ReEncryptTo', resources: destinationArns }
      : { action: 'ReEncryptTo', values: { KeyId: destination } },
  ];
}

export const kmsRules: ServiceRules = {
  uses,
  values: (event) => {
    const params = event.requestParameters;
    const alias = stringAt(params, 'aliasName');
    return {
      KeyId: keyIdOf(stringAt(params, 'keyId', 'KeyId', 'targetKeyId')),
      Alias: alias?.replace(/^alias\//, ''),
    };
  },
};
