import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialProblem, describeAwsError, isTransientFault } from '../src/aws-connection.js';
import { runCliCaptured } from '../src/run-captured.js';
import type { Fault, FaultProxy, SeenRequest } from './fault-proxy.js';
import { signedRegion, startFaultProxy } from './fault-proxy.js';
import type { Moto } from './moto.js';
import { motoAvailable, startMoto } from './moto.js';
import { reliability } from './reliability.js';
import { trailEvent } from './trail-fixtures.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const sample = join(root, 'samples/orders-api/logs');
/** Three attempts keep the failing cases quick; the default is five. */
const env = { AWS_MAX_ATTEMPTS: '3' };
const saved = { ...process.env };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iamgen-faults-'));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
});
afterAll(async () => {
  process.env = saved;
  await rm(dir, { recursive: true, force: true });
});

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A failed run: one line naming the fault, no policy on stdout, no --out file, and a bounded number of tries. */
async function expectCleanFailure(
  result: { code: number; stdout: string; stderr: string },
  pattern: RegExp,
): Promise<void> {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(await exists(join(dir, 'policy.json'))).toBe(false);
}

describe.skipIf(!motoAvailable())('S3 and IAM faults (moto behind a fault-injecting endpoint)', () => {
  let moto: Moto;
  let s3: FaultProxy;
  let iam: FaultProxy;
  const isList = (r: SeenRequest) => r.method === 'GET' && r.url.includes('list-type=2');
  const isGet = (r: SeenRequest) => r.method === 'GET' && r.url.includes('/AWSLogs/') && !r.url.includes('list-type');
  const fromBucket = (...extra: string[]) =>
    runCliCaptured(
      [
        'from-trail',
        '--role',
        'orders-api-handler',
        '--events',
        's3://trail/AWSLogs/',
        '--endpoint-url',
        s3.endpoint,
        '--out',
        'policy.json',
        ...extra,
      ],
      dir,
      false,
      env,
    );

  beforeAll(async () => {
    moto = await startMoto();
    const client = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: 'trail' }));
    for (const entry of await readdir(sample, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      await client.send(
        new PutObjectCommand({ Bucket: 'trail', Key: relative(sample, path), Body: await readFile(path) }),
      );
    }
    const iamClient = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint });
    await iamClient.send(new CreateRoleCommand({ RoleName: 'app', AssumeRolePolicyDocument: '{}' }));
    await iamClient.send(
      new PutRolePolicyCommand({
        RoleName: 'app',
        PolicyName: 'inline',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }],
        }),
      }),
    );
    await writeFile(
      join(dir, 'proposed.json'),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' }],
      }),
    );
    s3 = await startFaultProxy(moto.endpoint, 's3');
    iam = await startFaultProxy(moto.endpoint, 'query');
  });
  afterAll(async () => {
    await s3?.stop();
    await iam?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    s3.reset();
    iam.reset();
    await rm(join(dir, 'policy.json'), { force: true });
    undisturbed ??= (await fromBucket()).stderr;
    s3.reset();
    await rm(join(dir, 'policy.json'), { force: true });
  });

  /** What an undisturbed run prints on stderr: a faulted run that recovered must print exactly that. */
  let undisturbed: string;
  const expected = () => readFile(join(root, 'samples/orders-api/expected-policy.json'), 'utf8');

  it(
    '[reliability] S3 listing throttled, then answering: retried, same policy',
    reliability({
      area: 'fault',
      fault: 'S3 ListObjectsV2 throttled (503 SlowDown) twice',
      produced: 'local endpoint in front of moto answers SlowDown, then forwards',
      expected: 'retried with backoff; exit 0; the same policy as an undisturbed run',
    }),
    async () => {
      s3.inject(isList, ['throttle', 'throttle']);
      const result = await fromBucket();
      expect(result).toMatchObject({ code: 0, stderr: undisturbed });
      expect(await readFile(join(dir, 'policy.json'), 'utf8')).toBe(await expected());
      expect(s3.seen.filter((r) => r.fault === 'throttle')).toHaveLength(2);
    },
  );

  it(
    '[reliability] S3 objects answering 500 until the attempts run out: one line, exit 1, no policy',
    reliability({
      area: 'fault',
      fault: 'S3 GetObject 500 InternalError on every attempt',
      produced: 'local endpoint answers 500 to every GetObject',
      expected: 'AWS_MAX_ATTEMPTS tries per object, then one line naming the object and exit 1; no --out file',
    }),
    async () => {
      s3.inject(isGet, [], 500);
      const result = await fromBucket();
      await expectCleanFailure(
        result,
        /^iamgen: cannot read s3:\/\/trail\/AWSLogs\/.* \(InternalError: .*after 3 attempts\)/,
      );
      // The object the line names is the one whose attempts ran out (others may have been cut short by the end).
      const named = /cannot read s3:\/\/trail\/(\S+) /.exec(result.stderr)?.[1];
      expect(s3.seen.filter((r) => isGet(r) && r.url.includes(`/${named}`))).toHaveLength(3);
    },
  );

  it(
    '[reliability] S3 object connection reset mid-body, then whole: retried, same policy',
    reliability({
      area: 'fault',
      fault: 'S3 GetObject connection reset halfway through the body',
      produced: 'local endpoint sends the headers and half the object, then destroys the socket (once per object)',
      expected: 'the GET is tried again; exit 0; the same policy',
    }),
    async () => {
      const cut = new Set<string>();
      s3.inject((r) => isGet(r) && !cut.has(r.url) && cut.add(r.url) !== undefined, [], 'reset-body');
      const result = await fromBucket();
      expect(result).toMatchObject({ code: 0, stderr: undisturbed });
      expect(await readFile(join(dir, 'policy.json'), 'utf8')).toBe(await expected());
      expect(s3.seen.filter((r) => r.fault === 'reset-body').length).toBeGreaterThan(0);
    },
  );

  it(
    '[reliability] S3 object connection reset on every attempt: one line, exit 1, no policy',
    reliability({
      area: 'fault',
      fault: 'S3 GetObject connection reset on every attempt',
      produced: 'local endpoint destroys the socket before answering',
      expected: 'bounded retries, then one line and exit 1; no partial policy',
    }),
    async () => {
      s3.inject(isGet, [], 'reset');
      await expectCleanFailure(await fromBucket(), /^iamgen: cannot read s3:\/\/trail\/AWSLogs\/.*\(.*\)$/m);
    },
  );

  it(
    '[reliability] S3 listing hanging: the read timeout ends each attempt, exit 1',
    reliability({
      area: 'fault',
      fault: 'S3 ListObjectsV2 never answers',
      produced: 'local endpoint accepts the request and stays silent',
      expected: '--read-timeout ends each attempt; after the attempts one line and exit 1',
    }),
    async () => {
      s3.inject(isList, [], 'hang');
      const started = Date.now();
      const result = await fromBucket('--read-timeout', '0.3');
      await expectCleanFailure(result, /^iamgen: cannot list s3:\/\/trail\/AWSLogs\/ \(.*(timeout|timed out).*\)/i);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(s3.seen.filter((r) => r.fault === 'hang')).toHaveLength(3);
    },
  );

  it(
    '[reliability] S3 object answering ExpiredToken mid-read: one line, exit 1, no policy',
    reliability({
      area: 'fault',
      fault: 'S3 GetObject ExpiredToken (the session expired during the read) on one object',
      produced: 'local endpoint in front of moto answers 400 ExpiredToken to the first GetObject, forwards the rest',
      expected:
        'one line naming the object and "the AWS credentials have expired", exit 1; never a warning and a policy from the other objects',
    }),
    async () => {
      s3.inject(isGet, ['expired']);
      const result = await fromBucket();
      await expectCleanFailure(
        result,
        /^iamgen: cannot read s3:\/\/trail\/AWSLogs\/\S+ \(the AWS credentials have expired: ExpiredToken: The provided token has expired\.\)$/m,
      );
      expect(s3.seen.filter((r) => r.fault === 'expired')).toHaveLength(1);
    },
  );

  it(
    '[reliability] S3 listing refusing the access key: one line, exit 1',
    reliability({
      area: 'fault',
      fault: 'S3 ListObjectsV2 InvalidAccessKeyId',
      produced: 'local endpoint answers 403 InvalidAccessKeyId to every listing',
      expected: 'one line "cannot list …: the AWS credentials are not valid", exit 1, tried once',
    }),
    async () => {
      s3.inject(isList, [], 'bad-credentials');
      const result = await fromBucket();
      await expectCleanFailure(
        result,
        /^iamgen: cannot list s3:\/\/trail\/AWSLogs\/ \(the AWS credentials are not valid: InvalidAccessKeyId: .*\)$/m,
      );
      // Not retried (the question where the bucket is, before the listing, is not a listing).
      expect(s3.seen.filter(isList)).toHaveLength(1);
    },
  );

  it(
    '[reliability] no AWS credentials to be found: one line, exit 1, nothing sent',
    reliability({
      area: 'fault',
      fault: 'no credentials: --profile names a profile the AWS config and credentials files do not have',
      produced: 'AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point at empty files; --profile nosuch',
      expected: 'one line "no AWS credentials could be loaded" naming the profile, exit 1; no request reaches S3',
    }),
    async () => {
      const empty = join(dir, 'empty-aws-config');
      await writeFile(empty, '');
      const before = { ...process.env };
      Object.assign(process.env, { AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty });
      try {
        const result = await fromBucket('--profile', 'nosuch');
        await expectCleanFailure(
          result,
          /^iamgen: cannot list s3:\/\/trail\/AWSLogs\/ \(no AWS credentials could be loaded: CredentialsProviderError: .*\[nosuch\].*\)$/m,
        );
      } finally {
        process.env = before;
      }
      expect(s3.seen).toEqual([]);
    },
  );

  it(
    '[reliability] S3 bucket in another region than the client: redirected, same policy',
    reliability({
      area: 'fault',
      fault: "S3 answers 301 PermanentRedirect: the bucket is in another region than the client's",
      produced:
        'local endpoint in front of moto answers 301 with x-amz-bucket-region: eu-west-1 to requests not signed for eu-west-1',
      expected:
        "one HeadBucket is redirected and names the bucket's region; every later request is signed for eu-west-1, none redirected; exit 0; the same policy as an undisturbed run",
    }),
    async () => {
      s3.inject((r) => signedRegion(r.authorization) !== 'eu-west-1', [], 'redirect');
      const result = await fromBucket();
      expect(result).toMatchObject({ code: 0, stderr: undisturbed });
      expect(await readFile(join(dir, 'policy.json'), 'utf8')).toBe(await expected());
      // Only the question where the bucket is: a client that followed each redirect would double every request.
      expect(s3.seen.filter((r) => r.fault === 'redirect').map((r) => r.method)).toEqual(['HEAD']);
      expect(s3.seen.filter((r) => r.fault === 'pass').length).toBeGreaterThan(1);
      expect(
        s3.seen.filter((r) => r.fault === 'pass').every((r) => signedRegion(r.authorization) === 'eu-west-1'),
      ).toBe(true);
    },
  );

  it(
    '[reliability] S3 objects that are not gzip despite the name, or too big',
    reliability({
      area: 'input',
      fault: 'S3 object named .json.gz that is not gzip; S3 object over --max-file-bytes',
      produced: 'plain JSON uploaded as …/bad.json.gz and a 2 KiB object read with --max-file-bytes 1K, in moto',
      expected:
        '"cannot decompress (not gzip data)"; "larger than --max-file-bytes", known from the headers, body left unread; both counted, the rest read',
    }),
    async () => {
      const client = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true });
      const day = 'odd/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01';
      const record = JSON.stringify({ Records: [trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' })] });
      await client.send(new PutObjectCommand({ Bucket: 'trail', Key: `${day}/bad.json.gz`, Body: record }));
      await client.send(
        new PutObjectCommand({ Bucket: 'trail', Key: `${day}/big.json`, Body: `${record}${' '.repeat(2048)}` }),
      );
      await client.send(new PutObjectCommand({ Bucket: 'trail', Key: `${day}/ok.json`, Body: record }));
      const result = await runCliCaptured(
        ['roles', '--events', 's3://trail/odd/', '--endpoint-url', s3.endpoint, '--max-file-bytes', '1K'],
        dir,
        false,
        env,
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        [
          `warning: s3://trail/${day}/bad.json.gz: cannot decompress (not gzip data)`,
          `warning: s3://trail/${day}/big.json: larger than --max-file-bytes (${record.length + 2048} > 1024 bytes)`,
          '',
        ].join('\n'),
      );
      expect(result.stdout).toContain('arn:aws:iam::123456789012:role/app');
    },
  );

  it(
    '[reliability] IAM throttled then answering: the diff is made',
    reliability({
      area: 'fault',
      fault: 'IAM ListRolePolicies throttled, GetRolePolicy 503',
      produced: 'local endpoint in front of moto answers Throttling (400) and 503 once each',
      expected: 'retried; the diff against the live policy is printed (exit 3: it changes)',
    }),
    async () => {
      iam.inject((r) => r.body.includes('Action=ListRolePolicies'), ['throttle']);
      iam.inject((r) => r.body.includes('Action=GetRolePolicy'), [503]);
      const result = await runCliCaptured(
        ['diff', '--current', 'iam:role/app', '--proposed', 'proposed.json', '--endpoint-url', iam.endpoint],
        dir,
        false,
        env,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/^privilege: /);
    },
  );

  it(
    '[reliability] IAM resetting every connection: one line, exit 1',
    reliability({
      area: 'fault',
      fault: 'IAM connection reset on every attempt',
      produced: 'local endpoint destroys every socket',
      expected: 'bounded retries, then one line naming the role and exit 1',
    }),
    async () => {
      iam.inject(() => true, [], 'reset');
      const result = await runCliCaptured(
        ['diff', '--current', 'iam:role/app', '--proposed', 'proposed.json', '--endpoint-url', iam.endpoint],
        dir,
        false,
        env,
      );
      await expectCleanFailure(result, /^iamgen: cannot read the policies of role app from IAM \(/);
      expect(iam.seen).toHaveLength(3);
    },
  );

  it(
    '[reliability] IAM answering ExpiredToken to from-trail --diff-against iam: one line, exit 1, no policy',
    reliability({
      area: 'fault',
      fault: 'IAM ExpiredToken while from-trail --diff-against iam reads the current policy',
      produced: 'local IAM endpoint answers 403 ExpiredToken to every call',
      expected:
        'one line naming the role and "the AWS credentials have expired", exit 1; no policy on stdout or in --out',
    }),
    async () => {
      iam.inject(() => true, [], 'expired');
      const result = await runCliCaptured(
        [
          'from-trail',
          '--role',
          'orders-api-handler',
          '--events',
          sample,
          '--diff-against',
          'iam',
          '--endpoint-url',
          iam.endpoint,
          '--out',
          'policy.json',
        ],
        dir,
        false,
        env,
      );
      await expectCleanFailure(
        result,
        /^iamgen: cannot read the policies of role orders-api-handler from IAM \(the AWS credentials have expired: ExpiredToken: .*\)$/m,
      );
      expect(iam.seen).toHaveLength(1);
    },
  );
});

describe('CloudTrail LookupEvents faults', () => {
  let cloudtrail: FaultProxy;
  const events = [
    trailEvent({ role: 'app', source: 'ssm', name: 'GetParameter', params: { name: '/app/flag' } }),
    trailEvent({ role: 'app', source: 'sqs', name: 'ListQueues' }),
  ];
  const lookup = async (request: IncomingMessage, response: ServerResponse) => {
    for await (const _ of request) {
      // Drain the body; one page holds every event.
    }
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(
      JSON.stringify({
        Events: events.map((event, i) => ({ EventId: String(i), CloudTrailEvent: JSON.stringify(event) })),
      }),
    );
  };
  const run = (...extra: string[]) =>
    runCliCaptured(
      [
        'from-trail',
        '--role',
        'app',
        '--lookup-events',
        'us-east-1',
        '--endpoint-url',
        cloudtrail.endpoint,
        '--out',
        'policy.json',
        ...extra,
      ],
      dir,
      false,
      env,
    );
  beforeAll(async () => {
    cloudtrail = await startFaultProxy(lookup, 'json');
  });
  afterAll(async () => {
    await cloudtrail?.stop();
  });
  beforeEach(async () => {
    cloudtrail.reset();
    await rm(join(dir, 'policy.json'), { force: true });
  });

  const recovered: [string, Fault[], string][] = [
    ['throttled twice', ['throttle', 'throttle'], 'answers ThrottlingException (400) twice, then the page'],
    ['503 then a connection reset', [503, 'reset'], 'answers 503, then destroys the socket, then the page'],
  ];
  for (const [name, faults, produced] of recovered) {
    it(
      `[reliability] LookupEvents ${name}, then answering: retried, policy written`,
      reliability({
        area: 'fault',
        fault: `CloudTrail LookupEvents ${name}`,
        produced: `local CloudTrail endpoint ${produced}`,
        expected: 'retried with backoff; exit 0; the full policy',
      }),
      async () => {
        const baseline = await run();
        cloudtrail.reset();
        await rm(join(dir, 'policy.json'), { force: true });
        cloudtrail.inject(() => true, faults);
        const result = await run();
        expect(result).toMatchObject({ code: 0, stderr: baseline.stderr });
        expect(JSON.parse(await readFile(join(dir, 'policy.json'), 'utf8')).Statement).toHaveLength(2);
        expect(cloudtrail.seen).toHaveLength(faults.length + 1);
      },
    );
  }

  it(
    '[reliability] LookupEvents throttled on every attempt: one line, exit 1, no policy',
    reliability({
      area: 'fault',
      fault: 'CloudTrail LookupEvents throttled on every attempt',
      produced: 'local CloudTrail endpoint answers ThrottlingException (400) to every request',
      expected: 'AWS_MAX_ATTEMPTS tries, then one line and exit 1; no --out file',
    }),
    async () => {
      cloudtrail.inject(() => true, [], 'throttle');
      const result = await run();
      await expectCleanFailure(
        result,
        /^iamgen: cannot read LookupEvents in us-east-1 \(ThrottlingException: Rate exceeded \(after 3 attempts\)\)$/m,
      );
      expect(cloudtrail.seen).toHaveLength(3);
    },
  );

  it(
    '[reliability] LookupEvents hanging: the read timeout ends each attempt, exit 1',
    reliability({
      area: 'fault',
      fault: 'CloudTrail LookupEvents never answers',
      produced: 'local endpoint accepts the request and stays silent',
      expected: '--read-timeout ends each attempt; after the attempts one line and exit 1',
    }),
    async () => {
      cloudtrail.inject(() => true, [], 'hang');
      const result = await run('--read-timeout', '0.3');
      await expectCleanFailure(result, /^iamgen: cannot read LookupEvents in us-east-1 \(.*(timeout|timed out)/im);
      expect(cloudtrail.seen).toHaveLength(3);
    },
  );

  const refused: [Fault, string, string][] = [
    ['expired', 'ExpiredTokenException', 'the AWS credentials have expired'],
    ['bad-credentials', 'UnrecognizedClientException', 'the AWS credentials are not valid'],
  ];
  for (const [fault, code, why] of refused) {
    it(
      `[reliability] LookupEvents answering ${code}: one line, exit 1, no policy`,
      reliability({
        area: 'fault',
        fault: `CloudTrail LookupEvents ${code}`,
        produced: `local CloudTrail endpoint answers 400 ${code} to every request`,
        expected: `one line naming the region and "${why}", exit 1, tried once; no --out file`,
      }),
      async () => {
        cloudtrail.inject(() => true, [], fault);
        const result = await run();
        await expectCleanFailure(
          result,
          new RegExp(`^iamgen: cannot read LookupEvents in us-east-1 \\(${why}: ${code}: `),
        );
        expect(cloudtrail.seen).toHaveLength(1);
      },
    );
  }

  it('rejects a timeout that is not a positive number', async () => {
    const result = await run('--read-timeout', '0');
    expect(result).toMatchObject({ code: 2, stderr: 'iamgen: --read-timeout must be a positive number of seconds\n' });
  });
});

describe('isTransientFault', () => {
  it.each<[string, unknown, boolean]>([
    [
      '503 status',
      Object.assign(new Error('x'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }),
      true,
    ],
    [
      'throttling by name',
      Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      true,
    ],
    ['reset socket', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['SDK timeout', Object.assign(new Error('Connection timed out after 300 ms'), { name: 'TimeoutError' }), true],
    [
      'access denied',
      Object.assign(new Error('x'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
      false,
    ],
    ['no such key', Object.assign(new Error('x'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }), false],
    ['not gzip', Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' }), false],
    ['not an error', 'boom', false],
  ])('%s → %s', (_name, error, transient) => {
    expect(isTransientFault(error)).toBe(transient);
  });
});

describe('credential problems', () => {
  const sdkError = (name: string, message: string, status?: number) =>
    Object.assign(new Error(message), {
      name,
      ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    });
  it.each<[string, unknown, string | undefined]>([
    [
      'S3 ExpiredToken',
      sdkError('ExpiredToken', 'The provided token has expired.', 400),
      'the AWS credentials have expired',
    ],
    [
      'JSON ExpiredTokenException',
      sdkError('ExpiredTokenException', 'expired', 400),
      'the AWS credentials have expired',
    ],
    ['S3 TokenRefreshRequired', sdkError('TokenRefreshRequired', 'refresh', 400), 'the AWS credentials have expired'],
    ['S3 InvalidAccessKeyId', sdkError('InvalidAccessKeyId', 'x', 403), 'the AWS credentials are not valid'],
    ['IAM InvalidClientTokenId', sdkError('InvalidClientTokenId', 'x', 403), 'the AWS credentials are not valid'],
    [
      'JSON UnrecognizedClientException',
      sdkError('UnrecognizedClientException', 'x', 400),
      'the AWS credentials are not valid',
    ],
    ['S3 InvalidToken', sdkError('InvalidToken', 'x', 400), 'the AWS session token is not valid'],
    [
      'SignatureDoesNotMatch',
      sdkError('SignatureDoesNotMatch', 'x', 403),
      'the AWS secret access key does not match the access key id',
    ],
    [
      'no credentials found',
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      'no AWS credentials could be loaded',
    ],
    ['access denied is about the object', sdkError('AccessDenied', 'x', 403), undefined],
    ['no such key is about the object', sdkError('NoSuchKey', 'x', 404), undefined],
    ['a server fault is not', sdkError('InternalError', 'x', 500), undefined],
    ['not an error', 'ExpiredToken', undefined],
  ])('%s', (_name, error, problem) => {
    expect(credentialProblem(error)).toBe(problem);
  });

  it('leads the one-line description with what the problem means', () => {
    expect(describeAwsError(sdkError('ExpiredToken', 'The provided token has expired.\nRequest id: 1', 400))).toBe(
      'the AWS credentials have expired: ExpiredToken: The provided token has expired.',
    );
    expect(describeAwsError(sdkError('AccessDenied', 'Access Denied', 403))).toBe('AccessDenied: Access Denied');
  });
});
