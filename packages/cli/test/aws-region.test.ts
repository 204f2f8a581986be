import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../src/run-captured.js';
import type { FaultProxy } from './fault-proxy.js';
import { signedRegion, startFaultProxy } from './fault-proxy.js';

/**
 * Which region each AWS client signs its requests for, read from the SigV4 credential scope that reaches a local
 * endpoint. The endpoint refuses the credentials, so every run ends at its first request with exit 1.
 */
const saved = { ...process.env };
const regionVariables = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'] as const;
let dir: string;
let configs = 0;
const proxies: Record<'s3' | 'iam' | 'athena', FaultProxy | undefined> = {
  s3: undefined,
  iam: undefined,
  athena: undefined,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-region-'));
  await writeFile(join(dir, 'proposed.json'), '{"Version":"2012-10-17","Statement":[]}');
  await writeFile(join(dir, 'empty'), '');
  const unused = () => {
    throw new Error('every request is answered by the fault');
  };
  proxies.s3 = await startFaultProxy(unused, 's3');
  proxies.iam = await startFaultProxy(unused, 'query');
  proxies.athena = await startFaultProxy(unused, 'json');
});
afterAll(async () => {
  process.env = saved;
  for (const proxy of Object.values(proxies)) await proxy?.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  for (const name of regionVariables) delete process.env[name];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // No file of the machine's own AWS set-up may decide a region here.
    AWS_CONFIG_FILE: join(dir, 'empty'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'empty'),
  });
  for (const proxy of Object.values(proxies)) {
    proxy?.reset();
    proxy?.inject(() => true, [], 'bad-credentials');
  }
});

/** An AWS config file of its own (the SDK caches a file's content by path), with a profile `ci` holding keys. */
async function configFile(sections: string): Promise<string> {
  configs += 1;
  const path = join(dir, `config-${configs}`);
  await writeFile(path, sections);
  return path;
}

const commands = {
  s3: (endpoint: string) => ['roles', '--events', 's3://trail/AWSLogs/', '--endpoint-url', endpoint],
  iam: (endpoint: string) => [
    'diff',
    '--current',
    'iam:role/app',
    '--proposed',
    'proposed.json',
    '--endpoint-url',
    endpoint,
  ],
  athena: (endpoint: string) => [
    'from-trail',
    '--role',
    'app',
    '--athena-table',
    'security.cloudtrail',
    '--athena-regions',
    'us-east-1',
    '--since',
    '2024-05-01',
    '--until',
    '2024-05-02',
    '--endpoint-url',
    endpoint,
  ],
} as const;

/** Runs the command of `service` with `flags`, and gives the regions its requests were signed for. */
async function signedRegions(service: keyof typeof proxies, flags: readonly string[] = []) {
  const proxy = proxies[service];
  if (proxy === undefined) throw new Error('no endpoint');
  const result = await runCliCaptured([...commands[service](proxy.endpoint), ...flags], dir);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  return { code: result.code, regions: [...new Set(proxy.seen.map((r) => signedRegion(r.authorization)))] };
}

const ciProfile = '[profile ci]\nregion = ap-southeast-2\naws_access_key_id = ci\naws_secret_access_key = ci\n';

describe.each(['s3', 'iam', 'athena'] as const)(
  'the %s client signs for the region the AWS CLI would use',
  (service) => {
    it.each<[string, () => Promise<{ env?: Record<string, string>; flags?: string[] }>, string]>([
      ['--region', async () => ({ flags: ['--region', 'eu-west-1'] }), 'eu-west-1'],
      ['AWS_REGION', async () => ({ env: { AWS_REGION: 'eu-west-1' } }), 'eu-west-1'],
      ['AWS_DEFAULT_REGION', async () => ({ env: { AWS_DEFAULT_REGION: 'eu-west-1' } }), 'eu-west-1'],
      [
        'the default profile of AWS_CONFIG_FILE',
        async () => ({ env: { AWS_CONFIG_FILE: await configFile('[default]\nregion = eu-west-1\n') } }),
        'eu-west-1',
      ],
      [
        'the profile of --profile',
        async () => ({ env: { AWS_CONFIG_FILE: await configFile(ciProfile) }, flags: ['--profile', 'ci'] }),
        'ap-southeast-2',
      ],
      [
        'the profile of AWS_PROFILE',
        async () => {
          // The profile's keys, not the environment's, as a shell with AWS_PROFILE set has it.
          delete process.env.AWS_ACCESS_KEY_ID;
          delete process.env.AWS_SECRET_ACCESS_KEY;
          return { env: { AWS_CONFIG_FILE: await configFile(ciProfile), AWS_PROFILE: 'ci' } };
        },
        'ap-southeast-2',
      ],
      [
        '--region over AWS_REGION',
        async () => ({ env: { AWS_REGION: 'eu-west-1' }, flags: ['--region', 'eu-central-1'] }),
        'eu-central-1',
      ],
      [
        'AWS_REGION over AWS_DEFAULT_REGION and the profile',
        async () => ({
          env: {
            AWS_REGION: 'eu-west-1',
            AWS_DEFAULT_REGION: 'sa-east-1',
            AWS_CONFIG_FILE: await configFile('[default]\nregion = ap-southeast-2\n'),
          },
        }),
        'eu-west-1',
      ],
    ])('%s', async (_, setting, region) => {
      const { env = {}, flags = [] } = await setting();
      Object.assign(process.env, env);
      expect(await signedRegions(service, flags)).toEqual({ code: 1, regions: [region] });
    });
  },
);

describe('without any region', () => {
  it.each(['s3', 'iam'] as const)('%s goes through us-east-1, as the AWS CLI does', async (service) => {
    expect(await signedRegions(service)).toEqual({ code: 1, regions: ['us-east-1'] });
  });

  it('Athena, regional, is a usage error naming where a region comes from', async () => {
    const result = await runCliCaptured(commands.athena(proxies.athena?.endpoint ?? ''), dir);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'iamgen: no AWS region for Athena: give --region, set AWS_REGION, or set region for profile default in the AWS config file\n',
    });
    expect(proxies.athena?.seen).toEqual([]);
  });

  it('a --region that is no region name is a usage error', async () => {
    const result = await runCliCaptured([...commands.s3(proxies.s3?.endpoint ?? ''), '--region', 'eu west'], dir);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'iamgen: --region eu west: not an AWS region name (such as eu-west-1)\n',
    });
  });
});
