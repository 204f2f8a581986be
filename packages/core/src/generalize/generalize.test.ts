import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { wildcardMatch } from '../evaluate/wildcard.js';
import type { IamCatalog } from '../iam-catalog.js';
import { loadIamCatalog } from '../iam-catalog.js';
import type { Access } from '../types.js';
import { generalizeAccesses, generalizeModes } from './index.js';
import { createdKinds } from './lifecycle.js';
import { resourceNameOf } from './resource-name.js';
import { sharedPrefix, stablePrefix, volatileStart } from './volatile.js';

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

const fn = 'arn:aws:lambda:us-east-1:111122223333:function:';
const groups = 'arn:aws:logs:us-east-1:111122223333:log-group:';
const bucket = 'arn:aws:s3:::reports';

describe('stablePrefix', () => {
  it.each([
    ['invoices/2024/06/a.csv', 'invoices/'],
    ['report-20240601.csv', 'report-'],
    ['exports/year=2024/month=06/x.parquet', 'exports/'],
    ['runs/6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f/out.json', 'runs/'],
    ['i-0abc1234def567890', 'i-'],
    ['mystack-Handler-1A2B3C4D5E6F', 'mystack-Handler-'],
    ['query-results/a8f3kd92jd/part-0.csv', 'query-results/'],
    ['6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f', ''],
    ['orders', undefined],
    ['prod/db-AbC123', undefined],
    ['lambda2', undefined],
  ])('%s → %s', (name, prefix) => {
    expect(stablePrefix(name)).toBe(prefix);
  });
});

describe('volatileStart', () => {
  // The scan as first written, one pattern test per character: the table must cut every name where it cut.
  const delimiter = /[/:_.\-=\s[\]$@+,]/;
  function scannedByPattern(name: string): number {
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(name);
    let first = uuid === null ? -1 : uuid.index;
    let start = 0;
    for (let i = 0; i <= name.length; i += 1) {
      if (i < name.length && !delimiter.test(name.charAt(i))) continue;
      if (first !== -1 && start >= first) break;
      // A token of the same text: only where tokens start and end is under test.
      if (volatileStart(name.slice(start, i)) === 0 && name.slice(start, i) !== '') {
        first = first === -1 ? start : Math.min(first, start);
        break;
      }
      start = i + 1;
    }
    return first;
  }
  const piece = fc.oneof(
    fc.constantFrom(
      '/',
      ':',
      '_',
      '.',
      '-',
      '=',
      ' ',
      '\t',
      '\u00a0',
      '\u2003',
      '\u3000',
      '\ufeff',
      '[',
      ']',
      '$',
      '@',
      '+',
      ',',
    ),
    fc.constantFrom('orders', '2024', 'a8f3kd92jd', 'é', '😀', 'x'),
    fc.string({ unit: 'binary', maxLength: 3 }),
  );

  it('cuts where the per-character pattern cuts, Unicode spaces included', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const name = pieces.join('');
        expect(volatileStart(name)).toBe(scannedByPattern(name));
      }),
      { numRuns: 500 },
    );
  });
});

describe('sharedPrefix', () => {
  it.each([
    [['lambda-mrbayes1', 'lambda-mrbayes2'], 'lambda-mrbayes'],
    [['orders-api', 'orders-app'], 'orders-'],
    [['alpha', 'beta'], ''],
    [['etl-', 'etl-'], 'etl-'],
  ])('%j → %s', (names, prefix) => {
    expect(sharedPrefix(names)).toBe(prefix);
  });
});

describe('resourceNameOf', () => {
  it('cuts at the resource type template, keeping parent resources in the container', () => {
    expect(resourceNameOf('s3:GetObject', `${bucket}/in/a.csv`, catalog)).toEqual({
      kind: 's3:object',
      container: `${bucket}/`,
      name: 'in/a.csv',
    });
    expect(resourceNameOf('logs:CreateLogStream', `${groups}/aws/lambda/app:*`, catalog)).toEqual({
      kind: 'logs:log-group',
      container: groups,
      name: '/aws/lambda/app',
    });
    expect(resourceNameOf('lambda:GetFunction', `${fn}orders`, catalog)?.kind).toBe('lambda:function');
    expect(resourceNameOf('lambda:GetFunction', '*', catalog)).toBeUndefined();
  });
});

describe('createdKinds', () => {
  it('knows a creation by its verb and the resource type as noun, never by a configuration Put', () => {
    const created = createdKinds(
      [
        { action: 'lambda:PutFunctionConcurrency', resource: `${fn}a` },
        { action: 'logs:CreateLogGroup', resource: `${groups}/aws/lambda/a` },
        { action: 's3:PutObject', resource: `${bucket}/x.csv` },
        { action: 'ec2:RunInstances', resource: 'arn:aws:ec2:us-east-1:111122223333:instance/*' },
      ],
      catalog,
    );
    // RunInstances was logged without its instance id; the catalog still says it creates instances.
    expect(new Map([...created].map(([kind, creation]) => [kind, creation.action]))).toEqual(
      new Map([
        ['logs:log-group', 'logs:CreateLogGroup'],
        ['s3:object', 's3:PutObject'],
        ['ec2:instance', 'ec2:RunInstances'],
      ]),
    );
  });
});

const ec2 = 'arn:aws:ec2:us-east-1:111122223333:';

describe('createdKinds by the catalog', () => {
  it.each([
    // The noun is not the type's name; the catalog's request tags say what the call makes.
    ['ec2:AllocateAddress', '*', 'ec2:elastic-ip'],
    ['ec2:AllocateAddress', `${ec2}elastic-ip/eipalloc-0abc1234def567890`, 'ec2:elastic-ip'],
    ['ec2:RunInstances', `${ec2}instance/*`, 'ec2:instance'],
    ['ec2:CreateSnapshot', `${ec2}volume/vol-0abc1234def567890`, 'ec2:snapshot'],
    ['ec2:CreateVolume', '*', 'ec2:volume'],
    ['ec2:ImportKeyPair', '*', 'ec2:key-pair'],
    // Tagging takes request tags on every type and makes nothing; configuration calls make nothing either.
    ['ec2:CreateTags', `${ec2}instance/i-0abc1234def567890`, undefined],
    ['lambda:PutFunctionConcurrency', 'arn:aws:lambda:us-east-1:111122223333:function:a', undefined],
    ['ec2:ReleaseAddress', `${ec2}elastic-ip/eipalloc-0abc1234def567890`, undefined],
  ])('%s on %s creates %s', (action, resource, kind) => {
    expect([...createdKinds([{ action, resource }], catalog).keys()]).toEqual(kind === undefined ? [] : [kind]);
  });
});

const resources = (accesses: readonly Access[]) => [...new Set(accesses.map((a) => a.resource))].sort();

describe('generalizeAccesses', () => {
  const deploys: Access[] = [
    { action: 'lambda:CreateFunction', resource: `${fn}lambda-mrbayes1` },
    { action: 'lambda:CreateFunction', resource: `${fn}lambda-mrbayes2` },
    { action: 'lambda:GetFunction', resource: `${fn}lambda-mrbayes2` },
    { action: 'lambda:DeleteFunction', resource: `${fn}lambda-mrbayes1` },
  ];

  it.each([
    ['exact', [`${fn}lambda-mrbayes1`, `${fn}lambda-mrbayes2`]],
    ['safe', [`${fn}lambda-mrbayes*`]],
    ['broad', [`${fn}*`]],
  ] as const)('lifecycle in %s mode', (mode, expected) => {
    const result = generalizeAccesses(deploys, { generalize: mode, objectPrefixThreshold: 20, catalog });
    expect(resources(result.accesses)).toEqual(expected);
  });

  it('reports each widening with the values it covers and the rule', () => {
    const result = generalizeAccesses(deploys, { objectPrefixThreshold: 20, catalog });
    expect(result.generalizations).toEqual([
      {
        rule: 'lifecycle-prefix',
        into: `${fn}lambda-mrbayes*`,
        replaced: 2,
        covers: [`${fn}lambda-mrbayes1`, `${fn}lambda-mrbayes2`],
        because: 'lambda function created by lambda:CreateFunction in the window',
      },
    ]);
  });

  it('uses the type wildcard in the same account and region when created names share nothing', () => {
    const result = generalizeAccesses(
      [
        { action: 'logs:CreateLogGroup', resource: `${groups}alpha` },
        { action: 'logs:CreateLogGroup', resource: `${groups}beta` },
        { action: 'logs:CreateLogGroup', resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:gamma' },
      ],
      { objectPrefixThreshold: 20, catalog },
    );
    // eu-west-1 had one stable name: it stays exact, and nothing reaches an unobserved region or account.
    expect(resources(result.accesses)).toEqual(['arn:aws:logs:eu-west-1:111122223333:log-group:gamma', `${groups}*`]);
    expect(result.generalizations.map((g) => g.rule)).toEqual(['lifecycle-type']);
  });

  it('widens created kinds only where the principal creates them: a bucket it only reads stays exact', () => {
    const result = generalizeAccesses(
      [
        { action: 's3:PutObject', resource: `${bucket}/out/a.csv` },
        { action: 's3:PutObject', resource: `${bucket}/out/b.csv` },
        { action: 's3:GetObject', resource: 'arn:aws:s3:::settings/config/a.json' },
        { action: 's3:GetObject', resource: 'arn:aws:s3:::settings/config/b.json' },
      ],
      { objectPrefixThreshold: 20, catalog },
    );
    expect(resources(result.accesses)).toEqual([
      `${bucket}/out/*`,
      'arn:aws:s3:::settings/config/a.json',
      'arn:aws:s3:::settings/config/b.json',
    ]);
  });

  it('follows the names it created: a user it only reads (itself) stays exact, IAM never gets the type wildcard', () => {
    const users = 'arn:aws:iam::111122223333:user/';
    const result = generalizeAccesses(
      [
        { action: 'iam:CreateUser', resource: `${users}tmp-build-1` },
        { action: 'iam:CreateUser', resource: `${users}tmp-build-2` },
        { action: 'iam:GetUser', resource: `${users}deployer` },
      ],
      { generalize: 'broad', objectPrefixThreshold: 20, catalog },
    );
    expect(resources(result.accesses)).toEqual([`${users}deployer`, `${users}tmp-build-*`]);
    const unrelated = generalizeAccesses(
      [
        { action: 'iam:CreateUser', resource: `${users}alpha` },
        { action: 'iam:CreateUser', resource: `${users}beta` },
      ],
      { objectPrefixThreshold: 20, catalog },
    );
    expect(resources(unrelated.accesses)).toEqual([`${users}alpha`, `${users}beta`]);
  });

  it.each([
    ['exact', ['arn:aws:ec2:eu-west-1:111122223333:elastic-ip/one', `${ec2}elastic-ip/eipalloc-0abc1234def567890`]],
    ['safe', ['arn:aws:ec2:eu-west-1:111122223333:elastic-ip/one', `${ec2}elastic-ip/eipalloc-*`]],
  ] as const)(
    'in %s mode, ids of a type it allocates go to their stable prefix in the observed region',
    (mode, expected) => {
      const result = generalizeAccesses(
        [
          { action: 'ec2:AllocateAddress', resource: '*' },
          { action: 'ec2:ReleaseAddress', resource: `${ec2}elastic-ip/eipalloc-0abc1234def567890` },
          { action: 'ec2:ReleaseAddress', resource: 'arn:aws:ec2:eu-west-1:111122223333:elastic-ip/one' },
        ],
        { generalize: mode, objectPrefixThreshold: 20, catalog },
      );
      expect(resources(result.accesses)).toEqual(['*', ...expected]);
    },
  );

  it('an instance it launches (logged on *) and terminates once gets the generated-id prefix, never another region', () => {
    const result = generalizeAccesses(
      [
        { action: 'ec2:RunInstances', resource: '*' },
        { action: 'ec2:TerminateInstances', resource: `${ec2}instance/i-0abc1234def567890` },
        { action: 'ec2:DescribeInstanceAttribute', resource: `${ec2}instance/i-0abc1234def567890` },
      ],
      { objectPrefixThreshold: 20, catalog },
    );
    expect(resources(result.accesses)).toEqual(['*', `${ec2}instance/i-*`]);
    expect(result.generalizations.map((g) => [g.rule, g.because])).toEqual([
      ['lifecycle-prefix', 'ec2 instance created by ec2:RunInstances in the window'],
    ]);
  });

  it('widens bucket names (their ARNs name no account) only by the prefix of buckets the principal creates', () => {
    for (const mode of ['safe', 'broad'] as const) {
      const result = generalizeAccesses(
        [
          { action: 's3:CreateBucket', resource: 'arn:aws:s3:::exports-2024-06-01' },
          { action: 's3:CreateBucket', resource: 'arn:aws:s3:::exports-2024-06-02' },
          { action: 's3:GetBucketAcl', resource: 'arn:aws:s3:::logs-2024-06-01' },
          { action: 's3:GetBucketAcl', resource: 'arn:aws:s3:::logs-2024-06-02' },
        ],
        { generalize: mode, objectPrefixThreshold: 20, catalog },
      );
      expect(resources(result.accesses)).toEqual([
        'arn:aws:s3:::exports-*',
        'arn:aws:s3:::logs-2024-06-01',
        'arn:aws:s3:::logs-2024-06-02',
      ]);
    }
  });

  it('collapses date-partitioned keys to the stable prefix with two samples', () => {
    const result = generalizeAccesses(
      [
        { action: 's3:GetObject', resource: `${bucket}/invoices/2024/06/01/a.csv` },
        { action: 's3:GetObject', resource: `${bucket}/invoices/2024/06/02/b.csv` },
      ],
      { objectPrefixThreshold: 20, catalog },
    );
    expect(resources(result.accesses)).toEqual([`${bucket}/invoices/*`]);
    expect(result.generalizations[0]?.rule).toBe('volatile-id');
  });

  it('keeps a fixed read set exact: one table, a queue, secrets, KMS keys named by UUIDs', () => {
    const fixed: Access[] = [
      { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:us-east-1:111122223333:table/orders' },
      { action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:us-east-1:111122223333:jobs' },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbC123',
      },
      {
        action: 'secretsmanager:GetSecretValue',
        resource: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/api-XyZ789',
      },
      {
        action: 'kms:Decrypt',
        resource: 'arn:aws:kms:us-east-1:111122223333:key/6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f',
      },
      {
        action: 'kms:Decrypt',
        resource: 'arn:aws:kms:us-east-1:111122223333:key/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7',
      },
      { action: 's3:GetObject', resource: `${bucket}/config/settings.json` },
    ];
    for (const mode of ['safe', 'broad'] as const) {
      const result = generalizeAccesses(fixed, { generalize: mode, objectPrefixThreshold: 20, catalog });
      expect(resources(result.accesses)).toEqual(resources(fixed));
      expect(result.generalizations).toEqual([]);
    }
  });

  it('never widens actions and never produces a bare *', () => {
    const result = generalizeAccesses(
      [
        { action: 's3:PutObject', resource: `${bucket}/6f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f.json` },
        { action: 's3:PutObject', resource: `${bucket}/0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7.json` },
      ],
      { generalize: 'broad', objectPrefixThreshold: 20, catalog },
    );
    expect(result.accesses.map((a) => a.action)).toEqual(['s3:PutObject', 's3:PutObject']);
    expect(resources(result.accesses)).toEqual([`${bucket}/*`]);
  });
});

describe('generalizeAccesses (property)', () => {
  const name = fc.oneof(
    fc.constantFrom('orders', 'preview-pr-', 'reports/', 'a', 'job-'),
    fc.uuid(),
    fc.stringMatching(/^[a-z0-9]{1,12}$/),
    fc.constantFrom('2024/06/01/', '20240601', 'i-0abc1234def', '/aws/lambda/'),
  );
  const access = fc.record({
    action: fc.constantFrom(
      'lambda:CreateFunction',
      'lambda:GetFunction',
      's3:PutObject',
      's3:GetObject',
      'logs:CreateLogGroup',
      'dynamodb:GetItem',
      'kms:Decrypt',
    ),
    account: fc.constantFrom('111122223333', '444455556666'),
    region: fc.constantFrom('us-east-1', 'eu-west-1'),
    parts: fc.array(name, { minLength: 1, maxLength: 3 }),
  });
  const arnOf = (a: { action: string; account: string; region: string; parts: string[] }) => {
    const n = a.parts.join('');
    if (a.action.startsWith('s3:')) return `arn:aws:s3:::bucket-${a.account}/${n}`;
    if (a.action.startsWith('lambda:')) return `arn:aws:lambda:${a.region}:${a.account}:function:${n}`;
    if (a.action.startsWith('logs:')) return `arn:aws:logs:${a.region}:${a.account}:log-group:${n}`;
    if (a.action.startsWith('kms:')) return `arn:aws:kms:${a.region}:${a.account}:key/${n}`;
    return `arn:aws:dynamodb:${a.region}:${a.account}:table/${n}`;
  };
  const head = (arn: string) => arn.split(':').slice(0, 5).join(':');

  it('covers what it replaces, keeps partition, service, region and account, never yields * or new actions', () => {
    fc.assert(
      fc.property(
        fc.array(access, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(...generalizeModes),
        (raw, mode) => {
          const accesses = raw.map((a) => ({ action: a.action, resource: arnOf(a) }));
          const result = generalizeAccesses(accesses, { generalize: mode, objectPrefixThreshold: 20, catalog });
          expect(result.accesses.map((a) => a.action)).toEqual(accesses.map((a) => a.action));
          result.accesses.forEach((widened, i) => {
            const original = accesses[i]?.resource ?? '';
            expect(widened.resource).not.toBe('*');
            expect(head(widened.resource)).toBe(head(original));
            expect(wildcardMatch(widened.resource, original)).toBe(true);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
