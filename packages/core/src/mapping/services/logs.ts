import type { TrailEvent } from '../../types.js';
import { stringAt } from '../request-values.js';
import type { ServiceRules } from '../service-rules.js';

export const logsRules: ServiceRules = {
  values: (event: TrailEvent) => {
    const params = event.requestParameters;
    const fromArn = /:log-group:([^:]+)/.exec(
      stringAt(params, 'logGroupArn', 'logGroupIdentifier', 'resourceArn') ?? '',
    )?.[1];
    return {
      LogGroupName: stringAt(params, 'logGroupName') ?? fromArn ?? stringAt(params, 'logGroupIdentifier'),
      LogStreamName: stringAt(params, 'logStreamName'),
    };
  },
};
