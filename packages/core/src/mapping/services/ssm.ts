import type { TrailEvent } from '../../types.js';
import { arnContext } from '../arn-template.js';
import { stringAt, stringsAt } from '../request-values.js';
import type { ActionUse, ServiceRules } from '../service-rules.js';

/** A parameter's name as its ARN holds it: no leading slash, and no `:version` or `:label` selector. */
const parameterPath = (name: string) => name.replace(/^\//, '').replace(/:[^/]*$/, '');

/** Parameters AWS publishes (`/aws/service/ami-amazon-linux-latest/…`): their ARN has no account. */
const publicParameter = /^aws\/service\//;

/**
 * The use of one named parameter, where the default rule would name it wrong: a full ARN given as the name (kept,
 * without a selector), and a public parameter (both the ARN AWS authorizes, without an account, and the one in the
 * caller's account that a template gives). Undefined: the default rule fills the template.
 */
function parameterUse(event: TrailEvent, name: string): ActionUse | undefined {
  if (name.startsWith('arn:')) {
    // Any other ARN (a document's) is matched to the action's templates by the default rule.
    if (!name.includes(':parameter/')) return undefined;
    return { action: event.eventName, resources: [name.replace(/(:parameter\/.*?):[^/]*$/, '$1')] };
  }
  const path = parameterPath(name);
  if (!publicParameter.test(path)) return undefined;
  return { action: event.eventName, resources: awsOwnedArns(event, `parameter/${path}`) };
}

/**
 * A resource AWS owns: the ARN AWS authorizes it on, without an account, and the one in the caller's account that a
 * template gives.
 */
function awsOwnedArns(event: TrailEvent, resource: string): string[] {
  const { partition, region, account } = arnContext(event);
  const arn = (owner: string) => `arn:${partition}:ssm:${region}:${owner}:${resource}`;
  return account === '' ? [arn('')] : [arn(''), arn(account)];
}

/** Documents AWS owns (`AWS-RunShellScript`, `AmazonCloudWatch-…`): their ARN has no account, as public parameters'. */
const awsOwnedDocument = /^(AWS|Amazon)[A-Za-z0-9]*-/;

/**
 * SendCommand with a document AWS owns: that document's account-less ARN (and the one in the caller's account a
 * template gives), then the instances it ran on.
 */
function sendCommandUses(event: TrailEvent): readonly ActionUse[] | undefined {
  const document = stringAt(event.requestParameters, 'documentName');
  if (document === undefined || !awsOwnedDocument.test(document)) return undefined;
  const documents = { action: event.eventName, resources: awsOwnedArns(event, `document/${document}`) };
  const hasTargets = stringsAt(event.requestParameters, 'instanceIds').length > 0;
  return hasTargets
    ? [documents, { action: event.eventName, resourceTypes: ['instance', 'managed-instance'] }]
    : [documents];
}

export const ssmRules: ServiceRules = {
  uses: (event: TrailEvent): readonly ActionUse[] | undefined => {
    if (event.eventName === 'SendCommand') return sendCommandUses(event);
    if (event.eventName === 'GetParameters' || event.eventName === 'DeleteParameters') {
      const names = stringsAt(event.requestParameters, 'names');
      if (names.length === 0) return undefined;
      return names.map(
        (name) =>
          parameterUse(event, name) ?? {
            action: event.eventName,
            values: { ParameterNameWithoutLeadingSlash: parameterPath(name) },
          },
      );
    }
    const name = stringAt(event.requestParameters, 'name', 'Name', 'path', 'Path');
    const use = name === undefined ? undefined : parameterUse(event, name);
    return use === undefined ? undefined : [use];
  },
  values: (event: TrailEvent) => {
    const name = stringAt(event.requestParameters, 'name', 'Name', 'path', 'Path');
    return {
      ParameterNameWithoutLeadingSlash: name === undefined ? undefined : parameterPath(name),
      DocumentName: stringAt(event.requestParameters, 'name', 'documentName'),
    };
  },
};
