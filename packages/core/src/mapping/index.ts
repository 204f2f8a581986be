import type { IamCatalog } from '../iam-catalog.js';
import { qualifiedName } from '../iam-catalog.js';
import type { Access, TrailEvent } from '../types.js';
import { actionArnTemplates, arnFitsAction } from './arn-template.js';

export type MappingOutcome =
  /** The call was authorized (it succeeded, or failed for a reason other than permissions). */
  | { readonly kind: 'mapped'; readonly accesses: readonly Access[] }
  /** The call was refused for lack of permission; `accesses` is what it would have needed. */
  | { readonly kind: 'denied'; readonly accesses: readonly Access[]; readonly errorCode: string }
  /** The event needs no permission of the caller (permission-less call, console-internal event…). */
  | { readonly kind: 'not-authorization'; readonly reason: string }
  /** No IAM action in the catalog corresponds to the event. */
  | { readonly kind: 'unmapped'; readonly reason: string };

const serviceRenames: Readonly<Record<string, string>> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  'streams.dynamodb': 'dynamodb',
  tagging: 'tag',
  appstream2: 'appstream',
  'models.lex': 'lex',
  'runtime.lex': 'lex',
  opensearchservice: 'es',
  migrationhub: 'mgh',
  pinpoint: 'mobiletargeting',
  amazonmq: 'mq',
  rdsdata: 'rds-data',
  cloudcontrolapi: 'cloudformation',
  transcribestreaming: 'transcribe',
  'mturk-requester': 'mechanicalturk',
};

const versionSuffixes = [/\d{8}(v\d+)?$/, /\d{4}_\d{2}_\d{2}$/];

const denialCodes =
  /^(Client\.)?(AccessDenied|UnauthorizedOperation|UnauthorizedAccess|AccessDeniedException|Unauthorized)/;

export function servicePrefixOf(eventSource: string): string {
  const host = eventSource.replace(/\.amazonaws\.com$/, '');
  return serviceRenames[host] ?? host;
}

export function isDenialCode(errorCode: string | undefined): boolean {
  return errorCode !== undefined && denialCodes.test(errorCode);
}

/** Maps one event to the IAM actions and resources it needed. */
export function mapEvent(event: TrailEvent, catalog: IamCatalog): MappingOutcome {
  const prefix = servicePrefixOf(event.eventSource);
  if (!catalog.hasService(prefix)) {
    return { kind: 'unmapped', reason: `no IAM service with prefix "${prefix}"` };
  }
  const candidates = [event.eventName, ...versionSuffixes.map((suffix) => event.eventName.replace(suffix, ''))];
  const action = candidates.map((name) => catalog.action(prefix, name)).find((found) => found !== undefined);
  if (action === undefined) {
    return { kind: 'unmapped', reason: `no IAM action ${prefix}:${event.eventName}` };
  }
  const name = qualifiedName(action);
  const resourceArns = event.resources.flatMap((r) =>
    r.arn !== undefined && arnFitsAction(catalog, action, r.arn) ? [r.arn] : [],
  );
  const accesses: Access[] =
    resourceArns.length > 0
      ? resourceArns.map((resource) => ({ action: name, resource }))
      : [
          actionArnTemplates(catalog, action).length === 0
            ? { action: name, resource: '*' }
            : { action: name, resource: '*', resourceUnknown: true },
        ];
  if (isDenialCode(event.errorCode)) return { kind: 'denied', accesses, errorCode: event.errorCode ?? '' };
  return { kind: 'mapped', accesses };
}
