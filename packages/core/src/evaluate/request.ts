/** Condition context keys (lower-cased) → the request's value or values. */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

export interface AccessRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: RequestContext;
}

/** Lower-cases context keys: IAM condition keys are case-insensitive. */
export function requestContext(
  values: Readonly<Record<string, string | readonly string[]>> | undefined,
): RequestContext {
  const context: Record<string, string | readonly string[]> = {};
  for (const [key, value] of Object.entries(values ?? {})) context[key.toLowerCase()] = value;
  return context;
}
