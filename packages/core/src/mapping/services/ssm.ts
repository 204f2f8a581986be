import type { TrailEvent } from '../../types.js';
import { stringAt, stringsAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

const withoutLeadingSlash = (name: string) => name.replace(/^\//, '');

export const ssmRules: ServiceRules = {
  uses: (event: TrailEvent): readonly ActionUse[] | undefined => {
    if (event.eventName !== 'GetParameters' && event.eventName !== 'DeleteParameters') return undefined;
    const names = stringsAt(event.requestParameters, 'names');
    if (names.length === 0) return undefined;
    return names.map((name) => ({
      action: event.eventName,
      values: { ParameterNameWithoutLeadingSlash: withoutLeadingSlash(name) },
    }));
  },
  values: (event: TrailEvent) => {
    const name = stringAt(event.requestParameters, 'name', 'Name', 'path', 'Path');
    return {
      ParameterNameWithoutLeadingSlash: name === undefined ? undefined : withoutLeadingSlash(name),
      DocumentName: stringAt(event.requestParameters, 'name', 'documentName'),
    };
  },
};
