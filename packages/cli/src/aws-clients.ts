import { fromIni } from '@aws-sdk/credential-providers';
import type { AwsConnection } from './aws-connection.js';
import { UsageError } from './cli-io.js';

/**
 * Five attempts ride out the throttling LookupEvents is known for (2 requests per second per account) and brief
 * S3 503 SlowDown bursts; the SDK's standard mode spaces them with jittered exponential backoff, at most 20 s apart.
 * The timeouts are the AWS CLI's defaults: a hung endpoint costs a minute per attempt, never forever.
 */
const defaults = { maxAttempts: 5, connectTimeout: 60, readTimeout: 60 } as const;

interface AwsClientConfig {
  /** Absent: the SDK reads the profile's `region` from the shared config file. */
  readonly region?: string;
  readonly profile?: string;
  readonly retryMode: 'standard';
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly socketTimeout: number };
  readonly endpoint?: string;
  readonly credentials?: ReturnType<typeof fromIni>;
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/**
 * The region as the AWS CLI picks it: `--region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION` (which the
 * JavaScript SDK alone would not read); without any, the SDK takes the profile's `region` from the config file.
 */
function regionOf(connection: AwsConnection): string | undefined {
  return connection.region ?? nonEmpty(process.env.AWS_REGION) ?? nonEmpty(process.env.AWS_DEFAULT_REGION);
}

/** The one place every AWS client of the CLI gets its region, endpoint, credentials, retries and timeouts. */
export function awsClientConfig(connection: AwsConnection): AwsClientConfig {
  // The SDK warns on every run under Node 20 that future SDK releases will need Node 22; that is a note for whoever
  // pins the SDK, not for the person running iamgen. The SDK's documented opt-out; a user's own setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const region = regionOf(connection);
  return {
    ...(region === undefined ? {} : { region }),
    retryMode: 'standard',
    maxAttempts: connection.maxAttempts ?? defaults.maxAttempts,
    requestHandler: {
      connectionTimeout: (connection.connectTimeout ?? defaults.connectTimeout) * 1000,
      // An idle limit, as the AWS CLI's read timeout: a large object that keeps arriving is never cut off.
      socketTimeout: (connection.readTimeout ?? defaults.readTimeout) * 1000,
    },
    ...(connection.endpointUrl === undefined ? {} : { endpoint: connection.endpointUrl }),
    // The profile names both the credentials and the config section the SDK reads the region from.
    ...(connection.profile === undefined
      ? {}
      : { profile: connection.profile, credentials: fromIni({ profile: connection.profile }) }),
  };
}

interface RegionalClient {
  readonly config: { region(): Promise<string> };
  destroy(): void;
}

/**
 * A client whose region is known before its first request, so a missing region is one line rather than an SDK
 * error per call. Global services (IAM) and S3, whose buckets tell their region, take `fallback` as the AWS CLI
 * does (us-east-1, the aws partition); a regional service without a region is a usage error naming the settings.
 */
export async function regionalClient<C extends RegionalClient>(
  service: string,
  connection: AwsConnection,
  build: (config: AwsClientConfig) => C,
  fallback?: string,
): Promise<C> {
  const client = build(awsClientConfig(connection));
  try {
    await client.config.region();
    return client;
  } catch {
    // The SDK's only complaint here is "Region is missing": nothing set one.
    client.destroy();
  }
  if (fallback !== undefined) return build(awsClientConfig({ ...connection, region: fallback }));
  const profile = connection.profile ?? nonEmpty(process.env.AWS_PROFILE) ?? 'default';
  throw new UsageError(
    `no AWS region for ${service}: give --region, set AWS_REGION, or set region for profile ${profile} in the AWS config file`,
  );
}
