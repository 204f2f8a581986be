import type { TrailEvent } from '../../types.js';
import { listAt, recordAt, stringAt } from '../request-values.js';
import type { ServiceRules } from '../service-rules.js';

/** EC2 logs ids under its own request names (`groupId`) and in `…Set.items` lists of one. */
export const ec2Rules: ServiceRules = {
  values: (event: TrailEvent) => {
    const p = event.requestParameters;
    const items = listAt(recordAt(p, 'instancesSet'), 'items');
    const onlyInstance = items.length === 1 ? stringAt(items[0], 'instanceId') : undefined;
    return {
      SecurityGroupId: stringAt(p, 'groupId'),
      InstanceId: stringAt(p, 'instanceId') ?? onlyInstance,
    };
  },
};
