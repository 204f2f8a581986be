import { ownEntry } from '../collections.js';
import type { CatalogAction, IamCatalog } from '../iam-catalog.js';
import { qualifiedName } from '../iam-catalog.js';
import type { Access, TrailEvent } from '../types.js';
import type { ArnContext, ResourceTemplate } from './arn-template.js';
import {
  actionTemplates,
  arnContext,
  arnTemplatePattern,
  fillArnTemplate,
  identityPartition,
  placeholdersOf,
  takenFromContext,
  templateAlternatives,
} from './arn-template.js';
import { parseDenial } from './denied.js';
import { forwardAccessContext } from './forward-access.js';
import { passRoleAccesses } from './pass-role.js';
import { lowerCaseIndex, shallowStrings, stringsAt } from './request-values.js';
import type { ActionUse } from './service-rules.js';
import { serviceRules } from './services/index.js';

export type MappingOutcome =
  /** The call was authorized (it succeeded, or failed for a reason other than permissions). */
  | { readonly kind: 'mapped'; readonly accesses: readonly Access[] }
  /** The call was refused for lack of permission; `accesses` is what it would have needed. */
  | { readonly kind: 'denied'; readonly accesses: readonly Access[]; readonly errorCode: string }
  /** The event needs no permission of the caller (permission-less call, console-internal event…). */
  | { readonly kind: 'not-authorization'; readonly reason: string }
  /** No IAM action in the catalog corresponds to the event. */
  | { readonly kind: 'unmapped'; readonly reason: string };

/** Endpoints whose name is not the IAM prefix (`monitoring.amazonaws.com` is authorized as `cloudwatch:`). */
const serviceRenames: Readonly<Record<string, string>> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  'streams.dynamodb': 'dynamodb',
  tagging: 'tag',
  appstream2: 'appstream',
  'models.lex': 'lex',
  'runtime.lex': 'lex',
  'models-v2-lex': 'lex',
  'runtime-v2-lex': 'lex',
  opensearchservice: 'es',
  migrationhub: 'mgh',
  pinpoint: 'mobiletargeting',
  amazonmq: 'mq',
  rdsdata: 'rds-data',
  cloudcontrolapi: 'cloudformation',
  transcribestreaming: 'transcribe',
  'mturk-requester': 'mechanicalturk',
  'servicecatalog-appregistry': 'servicecatalog',
  appconfigdata: 'appconfig',
  'runtime.sagemaker': 'sagemaker',
  'bedrock-runtime': 'bedrock',
  iotdata: 'iot',
  'data.iot': 'iot',
  'data.mediastore': 'mediastore',
};

/** Endpoints whose events are never the caller's own authorization. */
const nonAuthorizationSources: Readonly<Record<string, string>> = {
  signin: 'console sign-in',
};

/** API version suffixes some services still log (`CreateFunction20150331`, `…2019_03_26`). Only these are stripped. */
const versionSuffixes = [/\d{8}(v\d+)?$/, /\d{4}_\d{2}_\d{2}$/];
/** Cognito hosted-UI and similar web flows: `Login_GET`, `Token_POST` are page hits, not API operations. */
const webFlowEvent = /_(GET|POST|PUT|DELETE|PATCH)$/;

const denialCodes = /^(Client\.)?(AccessDenied|UnauthorizedOperation|UnauthorizedAccess|AuthorizationError|Forbidden)/i;

export function servicePrefixOf(eventSource: string): string {
  const host = eventSource.replace(/\.amazonaws\.com$/, '');
  return ownEntry(serviceRenames, host) ?? host;
}

/** The `eventSource` endpoints whose events authorize as this service prefix (renamed endpoints included). */
export function eventSourcesOf(prefix: string): string[] {
  const hosts = Object.entries(serviceRenames)
    .filter(([, renamed]) => renamed === prefix)
    .map(([host]) => host);
  return [...new Set([prefix, ...hosts])].map((host) => `${host}.amazonaws.com`).sort();
}

export function isDenialCode(errorCode: string | undefined): boolean {
  return errorCode !== undefined && denialCodes.test(errorCode);
}

/** Maps one event to the IAM actions and resources it needed. */
export function mapEvent(event: TrailEvent, catalog: IamCatalog): MappingOutcome {
  const host = event.eventSource.replace(/\.amazonaws\.com$/, '');
  const sourceReason = ownEntry(nonAuthorizationSources, host);
  if (sourceReason !== undefined) return { kind: 'not-authorization', reason: sourceReason };
  const prefix = servicePrefixOf(event.eventSource);
  const rules = ownEntry(serviceRules, prefix) ?? {};
  const reason = ownEntry(rules.notAuthorization, event.eventName);
  if (reason !== undefined) return { kind: 'not-authorization', reason };
  if (webFlowEvent.test(event.eventName))
    return { kind: 'not-authorization', reason: 'web sign-in flow, not an API call' };
  if (!catalog.hasService(prefix)) return { kind: 'unmapped', reason: `no IAM service with prefix "${prefix}"` };

  const uses = rules.uses?.(event) ?? defaultUses(event, rules.names);
  const context = arnContext(event);
  const serviceValues = rules.values?.(event) ?? {};
  const index = lowerCaseIndex(event.requestParameters);
  const canonical = rules.canonicalArn ?? ((arn: string) => arn);
  const requestArns = [
    ...shallowStrings(event.requestParameters).filter((v) => arnLike.test(v)),
    ...loggedArns(event),
  ].map(canonical);
  const accesses: Access[] = [];
  for (const use of uses) {
    const action = resolveAction(catalog, prefix, use.action);
    if (action === undefined) {
      return {
        kind: 'unmapped',
        reason: `no IAM action ${use.action.includes(':') ? use.action : `${prefix}:${use.action}`}`,
      };
    }
    const placeholderValue = (name: string) => {
      if (use.values !== undefined && Object.hasOwn(use.values, name)) return use.values[name];
      // A service that names a placeholder decides it, even as unknown: no fallback to a same-named field.
      if (Object.hasOwn(serviceValues, name)) return serviceValues[name];
      if (name === 'Account') return ownerAccount(index);
      return takenFromContext(name) ? undefined : index.get(name.toLowerCase());
    };
    // A plural field (`logGroupNames`, `instanceIds`) names one resource per item for its placeholder.
    const listValues = (name: string) => (use.values === undefined ? pluralField(event.requestParameters, name) : []);
    // A call on one resource type that names it by a bare `name` (SNS CreateTopic, Step Functions CreateActivity):
    // the name is that type's own, the template's last placeholder.
    const bareName = (placeholder: string) =>
      use.values === undefined && !Object.hasOwn(serviceValues, placeholder) && action.resourceTypes.length === 1
        ? index.get('name')
        : undefined;
    const resources =
      use.resources ??
      buildResources(catalog, action, use, context, placeholderValue, requestArns, listValues, bareName);
    const name = qualifiedName(action);
    const forward = action.service === 'kms' ? forwardAccessContext(event) : undefined;
    const withContext = (access: Access): Access => (forward === undefined ? access : { ...access, context: forward });
    // A rule that named the type the call touched expected a resource: none built is unknown, not optional.
    if (resources === 'none' || (resources.length === 0 && use.resourceTypes === undefined && resourceOptional(action)))
      accesses.push(withContext({ action: name, resource: '*' }));
    else if (resources.length === 0) accesses.push(withContext({ action: name, resource: '*', resourceUnknown: true }));
    else for (const resource of resources) accesses.push(withContext({ action: name, resource }));
  }
  accesses.push(...passRoleAccesses(event));

  if (isDenialCode(event.errorCode)) {
    const denial = parseDenial(event.errorMessage, catalog);
    const denied = denial === undefined ? accesses : [denial];
    return { kind: 'denied', accesses: denied, errorCode: event.errorCode ?? '' };
  }
  return { kind: 'mapped', accesses };
}

function defaultUses(
  event: TrailEvent,
  names: Readonly<Record<string, string | readonly string[]>> | undefined,
): ActionUse[] {
  const renamed = ownEntry(names, event.eventName);
  if (renamed !== undefined) return (typeof renamed === 'string' ? [renamed] : renamed).map((action) => ({ action }));
  return [{ action: event.eventName }];
}

/** Exact name first, then without a known API-version suffix; the result must exist in the catalog. */
function resolveAction(catalog: IamCatalog, prefix: string, name: string): CatalogAction | undefined {
  const colon = name.indexOf(':');
  const service = colon === -1 ? prefix : name.slice(0, colon);
  const bare = colon === -1 ? name : name.slice(colon + 1);
  const exact = catalog.action(service, bare);
  if (exact !== undefined) return exact;
  for (const suffix of versionSuffixes) {
    const stripped = bare.replace(suffix, '');
    if (stripped !== bare && stripped !== '') {
      const found = catalog.action(service, stripped);
      if (found !== undefined) return found;
    }
  }
  // A batch form without an action of its own is authorized as its single form (SQS SendMessageBatch needs
  // sqs:SendMessage, SNS PublishBatch sns:Publish): the catalog decides, so a batch action it lists stays itself.
  if (bare.endsWith('Batch') && bare.length > 'Batch'.length) return catalog.action(service, bare.slice(0, -5));
  return undefined;
}

/** A string that can be an ARN on its own (a shard iterator starts with one but is not). */
const arnLike = /^arn:[^\s|]+$/;

/**
 * When none of an action's resource types is required (PutMetricData's optional dataset), a call that names
 * none is scoped to `*` by design, not for want of an ARN.
 */
function resourceOptional(action: CatalogAction): boolean {
  return action.resourceTypes.every((type) => !type.required);
}

/**
 * Request fields that name the account owning the resource, where a call reaches into another account (an ECR
 * pull from a shared registry): the resource's ARN holds that account, not the caller's.
 */
const ownerAccountFields = ['registryid'];

function ownerAccount(index: ReadonlyMap<string, string>): string | undefined {
  for (const field of ownerAccountFields) {
    const value = index.get(field);
    if (value !== undefined && /^\d{12}$/.test(value)) return value;
  }
  return undefined;
}

/**
 * Exactly the fields the mapping reads, as a cache key: events with equal keys map alike. The caller's ARN counts
 * only by its partition (most callers' ARNs name a session, so calls would seldom share a key), except for IAM,
 * which names an IAM user's own resources after the user. Undefined when the event nests too deep to serialize.
 */
export function mappingCacheKey(event: TrailEvent): string | undefined {
  const identity = event.userIdentity;
  try {
    return [
      event.eventSource,
      event.eventName,
      event.awsRegion,
      event.recipientAccountId,
      event.errorCode,
      event.errorMessage,
      identity.type,
      event.eventSource === 'iam.amazonaws.com' ? identity.arn : identityPartition(event),
      identity.accountId,
      identity.invokedBy,
      JSON.stringify(event.requestParameters),
      event.resources.length === 0 ? '' : JSON.stringify(event.resources),
    ].join('\u0000');
  } catch {
    return undefined;
  }
}

function loggedArns(event: TrailEvent): string[] {
  return event.resources.flatMap((r) => (r.arn !== undefined && arnLike.test(r.arn) ? [r.arn] : []));
}

/**
 * ARNs for one use of an action: logged or requested ARNs that fit one of its resource types, plus ARNs
 * filled from request values. `none` when the action supports no resource type (it only takes `*`).
 */
function buildResources(
  catalog: IamCatalog,
  action: CatalogAction,
  use: ActionUse,
  context: ArnContext,
  placeholderValue: (name: string) => string | undefined,
  requestArns: readonly string[],
  listValues: (name: string) => readonly string[],
  bareName: (placeholder: string) => string | undefined,
): readonly string[] | 'none' {
  const wanted = use.resourceTypes?.map((t) => t.toLowerCase());
  let templates = actionTemplates(catalog, action).filter(
    (t) => wanted === undefined || wanted.includes(t.type.toLowerCase()),
  );
  // The rule named the type the call touched, but the catalog's list for the action lacks it (API Gateway's HTTP
  // API paths, `/apis`, `/routes`, are authorized with the same verbs): the service's own template for it.
  if (templates.length === 0 && wanted !== undefined) templates = serviceTemplates(catalog, action.service, wanted);
  if (templates.length === 0) return use.resourceTypes === undefined ? 'none' : [];
  const built = new Set<string>();
  for (const { template } of templates) {
    // ARNs the request or record carries are authoritative (they hold the real region, account and path);
    // explicit values (a copy source) name their own resource; otherwise the template is filled from values.
    const pattern = arnTemplatePattern(template);
    const carried = use.values === undefined ? requestArns.filter((arn) => pattern.test(arn)) : [];
    if (carried.length > 0) {
      for (const arn of carried) built.add(arn);
      continue;
    }
    const filled = fillArnTemplate(template, context, placeholderValue);
    if (filled !== undefined) {
      built.add(filled);
      continue;
    }
    const unfilled = placeholdersOf(template).filter(
      (name) => !takenFromContext(name) && placeholderValue(name) === undefined,
    );
    for (const name of unfilled) {
      for (const item of listValues(name)) {
        const one = fillArnTemplate(template, context, (n) => (n === name ? item : placeholderValue(n)));
        if (one !== undefined) built.add(one);
      }
    }
    const [only] = unfilled;
    const own =
      only !== undefined && unfilled.length === 1 && template.endsWith(`\${${only}}`) && only.endsWith('Name')
        ? bareName(only)
        : undefined;
    if (own !== undefined && built.size === 0) {
      const one = fillArnTemplate(template, context, (n) => (n === only ? own : placeholderValue(n)));
      if (one !== undefined) built.add(one);
    }
  }
  return dropEnclosing([...built]);
}

/** The strings of the field that is the plural of a placeholder (`LogGroupName` → `logGroupNames`), any case. */
function pluralField(params: Readonly<Record<string, unknown>>, placeholder: string): string[] {
  const plural = `${placeholder}s`.toLowerCase();
  const key = Object.keys(params).find((k) => k.toLowerCase() === plural);
  return key === undefined ? [] : stringsAt(params, key);
}

function serviceTemplates(catalog: IamCatalog, service: string, types: readonly string[]): ResourceTemplate[] {
  return types.flatMap((type) =>
    templateAlternatives(catalog.resourceTypeArn(service, type) ?? '').map((template) => ({
      type,
      required: true,
      template,
    })),
  );
}

/** When both a table and its index were named, the call touched the index: keep the most specific ARNs. */
function dropEnclosing(arns: readonly string[]): string[] {
  return arns.filter(
    (arn) => !arns.some((other) => other !== arn && (other.startsWith(`${arn}/`) || other.startsWith(`${arn}:`))),
  );
}
