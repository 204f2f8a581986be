import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { observationOfRow, principalLikePatterns, projectionTwin } from '@iamgen/athena-queries';
import type { TrailEvent } from '@iamgen/core';
import { isIssue, loadIamCatalog, mapEvent, normalizeRecord, resourceRequestFields, TrailAnalysis } from '@iamgen/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localRecords, outcomesByPrincipal, throughAthena } from './athena-twin.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const folders = (parent: string) =>
  existsSync(parent)
    ? readdirSync(parent, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(parent, entry.name))
        .sort()
    : [];
// Event scenarios hold logs/ (samples/nightly holds the scheduled-job setup instead).
const samples = folders(join(root, 'samples')).filter((folder) => existsSync(join(folder, 'logs')));
const datasets = folders(join(root, '..', 'shared', 'datasets'));

/**
 * Rows aggregated by the Athena query, read back, must give every principal the policy and counts that its raw
 * events give: the projection keeps everything the mapping reads.
 */
async function expectSameOutcomes(folder: string): Promise<number> {
  const catalog = await loadIamCatalog();
  const records = await localRecords([folder]);
  const rows = throughAthena(records, catalog);
  const local = outcomesByPrincipal(records, catalog);
  const athena = outcomesByPrincipal(rows, catalog);
  expect([...athena.keys()].sort()).toEqual([...local.keys()].sort());
  for (const [principal, outcome] of local)
    expect({ principal, ...athena.get(principal) }).toEqual({ principal, ...outcome });
  return local.size;
}

describe('Athena rows give the policies of the raw events', () => {
  it.each(samples)('sample %s', async (folder) => {
    expect(await expectSameOutcomes(folder)).toBeGreaterThan(0);
  });

  it.skipIf(datasets.length === 0).each(datasets)(
    'dataset %s',
    async (folder) => {
      await expectSameOutcomes(folder);
    },
    120_000,
  );
});

describe('the request projection', () => {
  it('is what makes rows faithful: without the catalog keys the samples lose resources', async () => {
    const catalog = await loadIamCatalog();
    const records = await localRecords(samples);
    const crippled = { ...resourceRequestFields(catalog), keys: [], serviceKeys: [], keepValuesMatching: '^$' };
    const local = outcomesByPrincipal(records, catalog);
    const athena = outcomesByPrincipal(throughAthena(records, catalog, crippled), catalog);
    const differing = [...local].filter(([principal, outcome]) => athena.get(principal)?.granted !== outcome.granted);
    expect(differing.length).toBeGreaterThan(0);
  });

  // Every top-level request key the mapping looks up by name (not by walking the request) is kept by name, so
  // a service rule that starts reading a new key fails here before rows can lose it.
  it.each([...samples, ...datasets])('keeps every key the mapping reads by name in %s', async (folder) => {
    const catalog = await loadIamCatalog();
    const projection = resourceRequestFields(catalog);
    const everywhere = new Set(projection.keys);
    const byService = new Set(projection.serviceKeys);
    const missing = new Set<string>();
    for (const { record, origin } of await localRecords([folder])) {
      const event = normalizeRecord(record, origin);
      if (isIssue(event)) continue;
      const kept = (key: string) =>
        everywhere.has(key.toLowerCase()) || byService.has(`${event.eventSource}|${key.toLowerCase()}`);
      mapEvent(
        probed(event, (key) => kept(key) || missing.add(`${event.eventSource} ${key}`)),
        catalog,
      );
    }
    expect([...missing]).toEqual([]);
  });
});

/**
 * The event with its request wrapped so that every lookup of a present key by name is reported. `Object.keys`
 * asks for each key's descriptor too; those lookups are walks, not reads by name, and are not reported.
 */
function probed(event: TrailEvent, onRead: (key: string) => unknown): TrailEvent {
  const walking: string[] = [];
  const params = new Proxy(event.requestParameters, {
    ownKeys(target) {
      const keys = Reflect.ownKeys(target);
      walking.push(...keys.filter((k): k is string => typeof k === 'string'));
      return keys;
    },
    getOwnPropertyDescriptor(target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
      if (walking[0] === key) walking.shift();
      else if (typeof key === 'string' && descriptor !== undefined) onRead(key);
      return descriptor;
    },
  });
  return { ...event, requestParameters: params };
}

describe('one event through Athena', () => {
  const role = (name: string) => `arn:aws:iam::123456789012:role/${name}`;
  const calls = [
    ['s3.amazonaws.com', ['GetObject', 'PutObject', 'CopyObject', 'DeleteObjects', 'ListObjectsV2', 'HeadBucket']],
    ['dynamodb.amazonaws.com', ['GetItem', 'TransactWriteItems', 'BatchGetItem', 'ExecuteStatement', 'Query']],
    ['lambda.amazonaws.com', ['Invoke', 'CreateFunction20150331', 'UpdateFunctionConfiguration20150331v2']],
    ['ecs.amazonaws.com', ['RunTask', 'RegisterTaskDefinition']],
    ['ec2.amazonaws.com', ['RunInstances', 'CreateLaunchTemplate', 'AuthorizeSecurityGroupIngress']],
    ['kms.amazonaws.com', ['Decrypt', 'ReEncrypt', 'GenerateDataKey']],
    ['sqs.amazonaws.com', ['SendMessage', 'ReceiveMessage']],
    ['events.amazonaws.com', ['PutEvents', 'PutRule']],
    ['ssm.amazonaws.com', ['GetParameters', 'GetParameter']],
    ['iam.amazonaws.com', ['GetRole', 'PassRole', 'CreateUser']],
  ] as const;
  const text = fc.constantFrom('orders', 'a/b.txt', 'thumbs/img-1.webp', 'alias/app', '/app/db-url', 'o-1', '');
  const arn = fc.constantFrom(
    role('app'),
    role('service-role/app-exec'),
    'arn:aws:s3:::bucket/key',
    'arn:aws:dynamodb:us-east-1:123456789012:table/orders',
    'arn:aws:kms:us-east-1:123456789012:key/1234',
    'arn:aws:sqs:us-east-1:123456789012:queue',
  );
  const key = fc.constantFrom(
    'bucketName',
    'key',
    'Key',
    'tableName',
    'functionName',
    'role',
    'roleArn',
    'executionRoleArn',
    'taskRoleArn',
    'iamInstanceProfile',
    'queueUrl',
    'keyId',
    'names',
    'name',
    'statement',
    'x-amz-copy-source',
    'nextToken',
    'maxResults',
    'clientToken',
    'encryptionContext',
    'containerDefinitions',
    'transactItems',
    'requestItems',
    'delete',
    'entries',
    'launchTemplateData',
  );
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      text,
      arn,
      fc.constantFrom(
        'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
        'SELECT * FROM "orders"',
        'bucket/a%20b',
      ),
      fc.integer(),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(key, tie('value'), { maxKeys: 3 }),
    ),
  })).value;
  const event = fc
    .record({
      call: fc
        .constantFrom(...calls)
        .chain(([source, names]) => fc.record({ source: fc.constant(source), name: fc.constantFrom(...names) })),
      request: fc.dictionary(key, value, { maxKeys: 6 }),
      resources: fc.array(arn, { maxLength: 2 }),
      error: fc.constantFrom(undefined, 'AccessDenied', 'NoSuchKey'),
      invokedBy: fc.constantFrom(undefined, 's3.amazonaws.com'),
    })
    .map(({ call, request, resources, error, invokedBy }) => ({
      eventTime: '2024-05-01T00:00:00Z',
      eventID: 'e-1',
      eventSource: call.source,
      eventName: call.name,
      awsRegion: 'us-east-1',
      recipientAccountId: '123456789012',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/app/session-9',
        accountId: '123456789012',
        ...(invokedBy === undefined ? {} : { invokedBy }),
        sessionContext: { sessionIssuer: { type: 'Role', arn: role('app') } },
      },
      requestParameters: request,
      resources: resources.map((ARN) => ({ ARN })),
      ...(error === undefined
        ? {}
        : {
            errorCode: error,
            errorMessage: `User: x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/${error} because`,
          }),
    }));

  it('maps to the same accesses as the raw event', async () => {
    const catalog = await loadIamCatalog();
    const projection = resourceRequestFields(catalog);
    fc.assert(
      fc.property(event, (raw) => {
        const [row] = projectionTwin([raw], projection);
        const rebuilt = observationOfRow(row ?? {});
        if ('error' in rebuilt) throw new Error(rebuilt.error);
        const origin = { source: 'property' };
        const local = normalizeRecord(raw, origin);
        const athena = normalizeRecord(rebuilt.record, origin);
        if (isIssue(local) || isIssue(athena)) throw new Error('not an event');
        // Rows may list request keys in another order; accesses are a set downstream, so compare them as one.
        expect(asSet(mapEvent(athena, catalog))).toEqual(asSet(mapEvent(local, catalog)));
      }),
      { numRuns: 400 },
    );
  });
});

function asSet(outcome: ReturnType<typeof mapEvent>) {
  return 'accesses' in outcome
    ? { ...outcome, accesses: outcome.accesses.map((a) => JSON.stringify(a)).sort() }
    : outcome;
}

describe('the principal filter of the query', () => {
  /** A LIKE pattern as a regular expression. */
  const likeMatches = (pattern: string, value: string) =>
    new RegExp(
      `^${[...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
      's',
    ).test(value);
  const name = fc.constantFrom('app', 'app-2', 'orders_api', 'orders-api', 'ci.deployer', 'a');
  const path = fc.constantFrom('', 'service-role/', 'team/x/');
  const account = fc.constantFrom('123456789012', '210987654321');
  const identity = fc.oneof(
    fc.record({ kind: fc.constant('assumed'), name, path, account, issuer: fc.boolean() }),
    fc.record({ kind: fc.constant('user'), name, path, account, issuer: fc.constant(false) }),
    fc.record({ kind: fc.constant('federated'), name, path: fc.constant(''), account, issuer: fc.boolean() }),
  );
  const selector = fc.record({
    kind: fc.constantFrom('role' as const, 'user' as const),
    value: fc.oneof(
      name,
      fc.constantFrom('app*', '*api', 'orders-?pi', 'a?p'),
      fc.tuple(account, path, name).map(([a, p, n]) => `arn:aws:iam::${a}:role/${p}${n}`),
      fc.tuple(account, name).map(([a, n]) => `arn:aws:iam::${a}:user/${n}`),
    ),
  });
  const eventOf = (who: { kind: string; name: string; path: string; account: string; issuer: boolean }) => {
    const userIdentity =
      who.kind === 'assumed'
        ? {
            type: 'AssumedRole',
            arn: `arn:aws:sts::${who.account}:assumed-role/${who.name}/session`,
            ...(who.issuer
              ? {
                  sessionContext: {
                    sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${who.account}:role/${who.path}${who.name}` },
                  },
                }
              : {}),
          }
        : who.kind === 'user'
          ? { type: 'IAMUser', arn: `arn:aws:iam::${who.account}:user/${who.path}${who.name}` }
          : {
              type: 'FederatedUser',
              arn: `arn:aws:sts::${who.account}:federated-user/${who.name}`,
              ...(who.issuer
                ? {
                    sessionContext: {
                      sessionIssuer: { type: 'IAMUser', arn: `arn:aws:iam::${who.account}:user/${who.name}` },
                    },
                  }
                : {}),
            };
    return {
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
      awsRegion: 'us-east-1',
      eventTime: '2024-05-01T00:00:00Z',
      userIdentity: { ...userIdentity, accountId: who.account },
    };
  };

  it('never leaves out a principal the exact selection takes', async () => {
    const catalog = await loadIamCatalog();
    let selections = 0;
    fc.assert(
      fc.property(identity, selector, (who, chosen) => {
        const event = eventOf(who);
        const read = new TrailAnalysis(catalog, { selection: { selectors: [chosen], all: false } });
        read.addRecord(event, { source: 'property' });
        const selected = read.analyses().some((a) => a.counts.matched > 0);
        const identityArn = event.userIdentity.arn;
        const issuerArn =
          'sessionContext' in event.userIdentity ? event.userIdentity.sessionContext.sessionIssuer.arn : undefined;
        const filtered = principalLikePatterns(chosen).some((p) => likeMatches(p, issuerArn ?? identityArn));
        if (selected) {
          selections += 1;
          expect(filtered).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
    expect(selections).toBeGreaterThan(20);
  });
});
