import type { TrailEvent } from '../../types.js';
import { stringAt } from '../request-values.js';
import type { ServiceRules } from '../service-rules.js';

/**
 * Stack and change-set ARNs end in an id the request does not carry (`stack/<name>/<uuid>`). A name becomes
 * `stack/<name>/*`: every incarnation of that stack name, and nothing else.
 */
export const cloudformationRules: ServiceRules = {
  values: (event: TrailEvent) => {
    const p = event.requestParameters;
    const stack = stringAt(p, 'stackName');
    const changeSet = stringAt(p, 'changeSetName');
    return {
      StackName: stack?.startsWith('arn:') ? undefined : stack,
      ChangeSetName: changeSet?.startsWith('arn:') ? undefined : changeSet,
      Id: '*',
    };
  },
};
