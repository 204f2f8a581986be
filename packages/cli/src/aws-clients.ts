import { fromIni } from '@aws-sdk/credential-providers';

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

/**
 * Five attempts ride out the throttling LookupEvents is known for (2 requests per second per account) and brief
 * S3 503 SlowDown bursts; the SDK's standard mode spaces them with jittered exponential backoff, at most 20 s apart.
 * The timeouts are the AWS CLI's defaults: a hung endpoint costs a minute per attempt, never forever.
 */
const defaults = { maxAttempts: 5, connectTimeout: 60, readTimeout: 60 } as const;

/** Reads `AWS_MAX_ATTEMPTS` the way the AWS CLI does; anything but a positive integer keeps the default. */
export function maxAttemptsOf(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const value = env.AWS_MAX_ATTEMPTS;
  return value !== undefined && /^[1-9]\d*$/.test(value) ? Number(value) : undefined;
}

interface AwsClientConfig {
  readonly region: string;
  readonly retryMode: 'standard';
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly socketTimeout: number };
  readonly endpoint?: string;
  readonly credentials?: ReturnType<typeof fromIni>;
}

/** The one place every AWS client of the CLI gets its region, endpoint, credentials, retries and timeouts. */
export function awsClientConfig(connection: AwsConnection, region: string): AwsClientConfig {
  // The SDK warns on every run under Node 20 that future SDK releases will need Node 22; that is a note for whoever
  // pins the SDK, not for the person running iamgen. The SDK's documented opt-out; a user's own setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return {
    region,
    retryMode: 'standard',
    maxAttempts: connection.maxAttempts ?? defaults.maxAttempts,
    requestHandler: {
      connectionTimeout: (connection.connectTimeout ?? defaults.connectTimeout) * 1000,
      // An idle limit, as the AWS CLI's read timeout: a large object that keeps arriving is never cut off.
      socketTimeout: (connection.readTimeout ?? defaults.readTimeout) * 1000,
    },
    ...(connection.endpointUrl === undefined ? {} : { endpoint: connection.endpointUrl }),
    ...(connection.profile === undefined ? {} : { credentials: fromIni({ profile: connection.profile }) }),
  };
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
