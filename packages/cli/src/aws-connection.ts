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

/**
 * Errors about the caller's own credentials rather than the thing asked for, by the names S3, the query
 * services (IAM, STS) and the JSON services (CloudTrail, Athena) give them, and the SDK's own when it could
 * not load any. They hold for every request of the run, so no request can be answered: the run must fail.
 */
const credentialProblems: Readonly<Record<string, string>> = {
  ExpiredToken: 'the AWS credentials have expired',
  ExpiredTokenException: 'the AWS credentials have expired',
  TokenRefreshRequired: 'the AWS credentials have expired',
  RequestExpired: "this machine's clock is too far from AWS time",
  RequestTimeTooSkewed: "this machine's clock is too far from AWS time",
  InvalidAccessKeyId: 'the AWS credentials are not valid',
  InvalidClientTokenId: 'the AWS credentials are not valid',
  UnrecognizedClientException: 'the AWS credentials are not valid',
  InvalidToken: 'the AWS session token is not valid',
  SignatureDoesNotMatch: 'the AWS secret access key does not match the access key id',
  InvalidSignatureException: 'the AWS secret access key does not match the access key id',
  IncompleteSignature: 'the request was not signed with complete AWS credentials',
  MissingAuthenticationToken: 'the request was not signed with AWS credentials',
  CredentialsProviderError: 'no AWS credentials could be loaded',
  TokenProviderError: 'no AWS SSO token could be loaded (aws sso login renews it)',
};

/** Why the caller's credentials failed, when they did (see {@link credentialProblems}); undefined otherwise. */
export function credentialProblem(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const name = (error as SdkErrorShape).name;
  return typeof name === 'string' && Object.hasOwn(credentialProblems, name) ? credentialProblems[name] : undefined;
}

/**
 * `Name: message (after N attempts)`, one line, for the error an AWS call ended with; a credential problem
 * leads with what it means (`the AWS credentials have expired: ExpiredToken: …`).
 */
export function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const attempts = (error as SdkErrorShape).$metadata?.attempts;
  const code = (error as SdkErrorShape).code;
  const name = error.name === 'Error' && typeof code === 'string' ? code : error.name;
  const message = error.message.split('\n')[0] ?? '';
  const text = message === '' || message === name ? name : `${name}: ${message}`;
  const problem = credentialProblem(error);
  const described = problem === undefined ? text : `${problem}: ${text}`;
  return attempts !== undefined && attempts > 1 ? `${described} (after ${attempts} attempts)` : described;
}
