import type { TrailEvent } from '../../types.js';
import { stringAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

/**
 * API Gateway management is authorized as HTTP verbs on resource paths (`apigateway:GET` on
 * `arn:aws:apigateway:<region>::/restapis/<id>`). The event name gives both: the verb from its first word,
 * the resource type from the rest (`GetStage` → GET on Stage; `CreateStage` → POST on the Stages collection).
 */
const verbs: readonly (readonly [RegExp, string, boolean])[] = [
  [/^(Get|Test|Generate|Export)/, 'GET', false],
  [/^(Create|Import|Flush)/, 'POST', true],
  [/^Update/, 'PATCH', false],
  [/^Delete/, 'DELETE', false],
  [/^(Put|Tag|Untag)/, 'PUT', false],
];

function uses(event: TrailEvent): readonly ActionUse[] | undefined {
  // Tags are their own path, `/tags/<the tagged resource's ARN, URL-encoded>`.
  if (event.eventName === 'TagResource' || event.eventName === 'UntagResource') {
    const arn = stringAt(event.requestParameters, 'resourceArn', 'resource-arn', 'resourceARN');
    return [
      {
        action: event.eventName === 'TagResource' ? 'PUT' : 'DELETE',
        resourceTypes: ['Tags'],
        values: { UrlEncodedResourceARN: arn === undefined ? undefined : encodeURIComponent(arn) },
      },
    ];
  }
  for (const [pattern, verb, collection] of verbs) {
    const match = pattern.exec(event.eventName);
    if (!match) continue;
    const noun = event.eventName.slice(match[0].length);
    const type = collection && !noun.endsWith('s') ? `${noun}s` : noun;
    return [{ action: verb, resourceTypes: [type] }];
  }
  return undefined;
}

export const apigatewayRules: ServiceRules = {
  uses,
  values: (event: TrailEvent) => {
    const p = event.requestParameters;
    return {
      RestApiId: stringAt(p, 'restApiId'),
      ApiId: stringAt(p, 'apiId'),
      ResourceId: stringAt(p, 'resourceId'),
      HttpMethodType: stringAt(p, 'httpMethod'),
      StageName: stringAt(p, 'stageName'),
      DeploymentId: stringAt(p, 'deploymentId'),
      AuthorizerId: stringAt(p, 'authorizerId'),
      ModelName: stringAt(p, 'modelName'),
      DomainName: stringAt(p, 'domainName'),
      ApiKeyId: stringAt(p, 'apiKey', 'apiKeyId'),
      UsagePlanId: stringAt(p, 'usagePlanId'),
      StatusCode: stringAt(p, 'statusCode'),
    };
  },
};
