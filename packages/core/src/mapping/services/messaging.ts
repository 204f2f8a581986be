import type { TrailEvent } from '../../types.js';
import { listAt, stringAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

/** `https://sqs.<region>.amazonaws.com/<account>/<queue>` (also the legacy `queue.amazonaws.com` host). */
export function parseQueueUrl(url: string | undefined): { account: string; name: string; region?: string } | undefined {
  if (url === undefined) return undefined;
  const match = /^https?:\/\/([^/]+)\/(\d{12})\/([^/?#]+)/.exec(url);
  if (!match) return undefined;
  const region = /^sqs\.([a-z0-9-]+)\./.exec(match[1] ?? '')?.[1];
  const parsed = { account: match[2] ?? '', name: match[3] ?? '' };
  return region === undefined ? parsed : { ...parsed, region };
}

export const sqsRules: ServiceRules = {
  values: (event: TrailEvent) => {
    const queue = parseQueueUrl(stringAt(event.requestParameters, 'queueUrl', 'QueueUrl'));
    return {
      QueueName: queue?.name ?? stringAt(event.requestParameters, 'queueName', 'QueueName'),
      // GetQueueUrl names a queue of another account by its owner.
      Account: queue?.account ?? stringAt(event.requestParameters, 'queueOwnerAWSAccountId'),
      Region: queue?.region,
    };
  },
};

/** Calls on one rule, named by `name` or `rule` (tagging calls name it by ARN, which the default rule reads). */
const ruleCalls = new Set([
  'DeleteRule',
  'DescribeRule',
  'DisableRule',
  'EnableRule',
  'ListTargetsByRule',
  'PutRule',
  'PutTargets',
  'RemoveTargets',
]);

/** The bus a rule call names: its name from a name or an ARN; `default` when none is named. */
function ruleBus(event: TrailEvent): string {
  const bus = stringAt(event.requestParameters, 'eventBusName', 'EventBusName') ?? 'default';
  return bus.startsWith('arn:') ? bus.slice(bus.indexOf('event-bus/') + 'event-bus/'.length) : bus;
}

export const eventsRules: ServiceRules = {
  uses: (event: TrailEvent): readonly ActionUse[] | undefined => {
    // A rule lives on one bus: the default bus's form (`rule/<name>`) or a custom bus's (`rule/<bus>/<name>`),
    // never both.
    if (event.eventName !== 'PutEvents') {
      if (!ruleCalls.has(event.eventName)) return undefined;
      if (stringAt(event.requestParameters, 'name', 'rule', 'ruleName') === undefined) return undefined;
      const bus = ruleBus(event);
      return [
        {
          action: event.eventName,
          resourceTypes: [bus === 'default' ? 'rule-on-default-event-bus' : 'rule-on-custom-event-bus'],
          values: { EventBusName: bus },
        },
      ];
    }
    // Each entry names its bus (a name or an ARN); no name means the account's default bus.
    const buses = listAt(event.requestParameters, 'entries').map(
      (entry) => stringAt(entry, 'eventBusName', 'EventBusName') ?? 'default',
    );
    const unique = [...new Set(buses.length === 0 ? ['default'] : buses)];
    return unique.map((bus) =>
      bus.startsWith('arn:')
        ? { action: 'PutEvents', resources: [bus] }
        : { action: 'PutEvents', values: { EventBusName: bus } },
    );
  },
  values: (event: TrailEvent) => {
    const params = event.requestParameters;
    return {
      EventBusName:
        stringAt(params, 'eventBusName', 'EventBusName') ?? (event.eventName === 'PutEvents' ? 'default' : undefined),
      RuleName: stringAt(params, 'name', 'rule', 'ruleName'),
    };
  },
};

export const statesRules: ServiceRules = {
  values: (event: TrailEvent) => ({
    StateMachineName: stringAt(event.requestParameters, 'name'),
  }),
};
