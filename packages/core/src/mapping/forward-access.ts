import type { TrailEvent } from '../types.js';

/**
 * A KMS call made by an AWS service for the caller (S3 reading an encrypted object, Secrets Manager
 * decrypting a secret) is logged with `invokedBy` = that service. The caller needs the permission, and the
 * policy can say so: `kms:ViaService = <service>.<region>.amazonaws.com`.
 */
export function forwardAccessContext(event: TrailEvent): Readonly<Record<string, string>> | undefined {
  const invokedBy = event.userIdentity.invokedBy;
  if (invokedBy === undefined || event.userIdentity.type === 'AWSService') return undefined;
  const match = /^([a-z0-9-]+)(?:\.([a-z0-9-]+))?\.amazonaws\.com$/.exec(invokedBy);
  if (!match || match[1] === 'internal') return undefined;
  const service = match[1];
  const region = match[2] ?? event.awsRegion;
  return { 'kms:ViaService': `${service}.${region}.amazonaws.com` };
}
