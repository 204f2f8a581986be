import { fromIni } from '@aws-sdk/credential-providers';
import type { AwsConnection } from './aws-connection.js';

/**
 * Five attempts ride out the throttling LookupEvents is known for (2 requests per second per account) and brief
 * S3 503 SlowDown bursts; the SDK's standard mode spaces them with jittered exponential backoff, at most 20 s apart.
 * The timeouts are the AWS CLI's defaults: a hung endpoint costs a minute per attempt, never forever.
 */
const defaults = { maxAttempts: 5, connectTimeout: 60, readTimeout: 60 } as const;

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
