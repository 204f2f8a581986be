import type { TrailEvent } from '../types.js';

/** One permission a call needed; a call may need several (CopyObject: read the source, write the target). */
export interface ActionUse {
  /** Action name in the event's own service, or `prefix:Name` for another service. */
  readonly action: string;
  /** Explicit resource ARNs; when absent, ARNs are built from the action's resource-type templates. */
  readonly resources?: readonly string[];
  /** Placeholder values for this use only (`BucketName`, `ObjectName`…), ahead of the service's values. */
  readonly values?: Readonly<Record<string, string | undefined>>;
  /** Resource types to build, when the event name says which one the call touched (API Gateway). */
  readonly resourceTypes?: readonly string[];
}

/**
 * What one service does differently from the default rule (`eventName` is the action name, ARNs come from
 * request parameters named like the template's placeholders). One file per service under `services/`.
 */
export interface ServiceRules {
  /** Event name → action name(s), for calls whose IAM action is named differently. */
  readonly names?: Readonly<Record<string, string | readonly string[]>>;
  /** Calls whose needs depend on the request (transactions, PartiQL, copies). Undefined: use the default. */
  readonly uses?: (event: TrailEvent) => readonly ActionUse[] | undefined;
  /** Template placeholder values this service's requests carry under other names. */
  readonly values?: (event: TrailEvent) => Readonly<Record<string, string | undefined>>;
  /** Rewrites an ARN found in the request to the form policies grant on (Lambda: drop the version/alias). */
  readonly canonicalArn?: (arn: string) => string;
  /** Event names that need no permission of the caller, with the reason. */
  readonly notAuthorization?: Readonly<Record<string, string>>;
}
