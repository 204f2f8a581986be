/**
 * How the CLI reaches AWS and judges its errors, without loading the AWS SDK: runs that never talk to AWS
 * (local files only) start without it.
 */

/** How to reach AWS, as the AWS CLI spells it, plus how hard to try. */
export interface AwsConnection {
  readonly profile?: string | undefined;
  readonly region?: string | undefined;
  readonly endpointUrl?: string | undefined;
  /** Attempts per request, the first one included (`AWS_MAX_ATTEMPTS`). */
  readonly maxAttempts?: number | undefined;
  /** Seconds to wait for a TCP connection. */
  readonly connectTimeout?: number | undefined;
  /** Seconds a socket may stay silent while a request or response is in flight. */
  readonly readTimeout?: number | undefined;
}

/** Reads `AWS_MAX_ATTEMPTS` the way the AWS CLI does; anything but a positive integer keeps the default. */
export function maxAttemptsOf(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const value = env.AWS_MAX_ATTEMPTS;
  return value !== undefined && /^[1-9]\d*$/.test(value) ? Number(value) : undefined;
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

const networkCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);
const throttlingNames =
  /^(Throttling|ThrottlingException|ThrottledException|RequestThrottled|RequestThrottledException|TooManyRequestsException|SlowDown|RequestLimitExceeded|ProvisionedThroughputExceededException|BandwidthLimitExceeded|PriorRequestNotComplete)$/;

/**
 * Whether an AWS error is a fault of the service or the network (throttling, 5xx, timeout, reset) rather than an
 * answer about the thing asked for (access denied, no such key). After the SDK's retries such a fault means the
 * data could not be read, so the run must fail instead of going on with less.
 */
export function isTransientFault(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (typeof e.name === 'string' && (throttlingNames.test(e.name) || e.name === 'TimeoutError')) return true;
  if (typeof e.code === 'string' && networkCodes.has(e.code)) return true;
  if (e.$retryable !== undefined) return true;
  // No HTTP answer at all: the socket failed before or while the response came.
  return status === undefined && typeof e.message === 'string' && /socket|aborted|timed? ?out|hang up/i.test(e.message);
}

/** `Name: message (after N attempts)`, one line, for the error an AWS call ended with. */
export function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const attempts = (error as SdkErrorShape).$metadata?.attempts;
  const code = (error as SdkErrorShape).code;
  const name = error.name === 'Error' && typeof code === 'string' ? code : error.name;
  const message = error.message.split('\n')[0] ?? '';
  const text = message === '' || message === name ? name : `${name}: ${message}`;
  return attempts !== undefined && attempts > 1 ? `${text} (after ${attempts} attempts)` : text;
}
