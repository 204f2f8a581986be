import type { TrailEvent } from '../../types.js';
import { stringAt } from '../request-values.js';
import type { ServiceRules } from '../service-rules.js';

/**
 * `functionName` may be a name, `name:qualifier`, a partial ARN or a full ARN (maybe qualified). Versions and
 * aliases are generalized to the function: a documented rule, since policies grant on the function ARN.
 */
export function lambdaFunctionName(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = /(?:^|:)function:([^:]+)/.exec(value);
  if (match) return match[1];
  return value.split(':')[0];
}

export const lambdaRules: ServiceRules = {
  names: {
    Invoke: 'InvokeFunction',
    InvokeAsync: 'InvokeFunction',
    InvokeWithResponseStream: 'InvokeFunction',
  },
  canonicalArn: (arn) => arn.replace(/^(arn:[^:]+:lambda:[^:]*:\d{12}:function:[^:]+):.+$/, '$1'),
  values: (event: TrailEvent) => ({
    FunctionName: lambdaFunctionName(stringAt(event.requestParameters, 'functionName', 'FunctionName')),
    LayerName: stringAt(event.requestParameters, 'layerName'),
  }),
};
