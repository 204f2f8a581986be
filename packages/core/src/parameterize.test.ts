import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deployedSizes,
  parameterizeConditionValue,
  parameterizeResource,
  planParameters,
  proveParameterizedCoverage,
} from './parameterize.js';
import type { PolicyDocument } from './policy-document.js';
import { shapePolicy } from './shape.js';
import type { Access } from './types.js';

const dev = '111111111111';
const prod = '222222222222';
const principals = [`arn:aws:iam::${dev}:role/app`, `arn:aws:iam::${prod}:role/app`];

describe('planParameters', () => {
  it('takes the accounts and partition of the principals and the regions their resources are in', () => {
    const plan = planParameters({
      parameters: ['account', 'region', 'partition'],
      stageTokens: ['prod', 'dev'],
      principalArns: principals,
      resources: [`arn:aws:sqs:us-east-1:${dev}:q-dev`, `arn:aws:sqs:eu-west-1:${prod}:q-prod`, '*'],
    });
    expect(plan).toEqual({
      values: { account: [dev, prod], region: ['eu-west-1', 'us-east-1'], partition: ['aws'], stage: ['dev', 'prod'] },
      ownAccounts: [dev, prod],
      stageOfAccount: { [dev]: 'dev', [prod]: 'prod' },
      environments: [
        { 'aws::accountid': dev, 'aws::region': 'us-east-1', 'aws::partition': 'aws', stage: 'dev' },
        { 'aws::accountid': prod, 'aws::region': 'eu-west-1', 'aws::partition': 'aws', stage: 'prod' },
      ],
      notes: [],
    });
  });

  it('leaves the region literal when one account used two, since ${AWS::Region} allows one', () => {
    const plan = planParameters({
      parameters: ['region'],
      stageTokens: [],
      principalArns: principals.slice(0, 1),
      resources: [`arn:aws:sqs:us-east-1:${dev}:a`, `arn:aws:sqs:eu-west-1:${dev}:b`],
    });
    expect(plan.values.region).toEqual([]);
    expect(plan.notes).toEqual([
      `region left literal: account ${dev} used eu-west-1, us-east-1, and \${AWS::Region} would allow only one`,
    ]);
  });
});

describe('parameterizeResource', () => {
  const plan = planParameters({
    parameters: ['account', 'region', 'partition'],
    stageTokens: ['dev', 'prod'],
    principalArns: principals,
    resources: [`arn:aws:sqs:us-east-1:${dev}:orders-dev`, `arn:aws:sqs:us-east-1:${prod}:orders-prod`],
  });

  it.each([
    [
      `arn:aws:sqs:us-east-1:${dev}:orders-dev`,
      'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:orders-${Stage}',
    ],
    [`arn:aws:s3:::logs-${dev}-us-east-1/*`, 'arn:${AWS::Partition}:s3:::logs-${AWS::AccountId}-${AWS::Region}/*'],
    // Another account's table is not the principal's own: it stays literal, names included.
    [
      'arn:aws:dynamodb:us-east-1:333333333333:table/shared-dev-us-east-1',
      'arn:${AWS::Partition}:dynamodb:us-east-1:333333333333:table/shared-dev-us-east-1',
    ],
    // A stage token inside a word is not a stage.
    [`arn:aws:sqs:us-east-1:${dev}:devices`, 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:devices'],
    ['*', '*'],
  ])('%s → %s', (resource, expected) => {
    expect(parameterizeResource(resource, plan)).toBe(expected);
  });

  it("keeps another stage's name literal: prod reading dev's config reads it in every environment", () => {
    const resources = [
      `arn:aws:sqs:us-east-1:${prod}:orders-prod`,
      `arn:aws:sqs:us-east-1:${prod}:jobs-prod`,
      `arn:aws:sqs:us-east-1:${prod}:config-dev`,
    ];
    const own = planParameters({
      parameters: ['account'],
      stageTokens: ['dev', 'prod'],
      principalArns: principals,
      resources,
    });
    expect(own.stageOfAccount).toEqual({ [prod]: 'prod' });
    expect(resources.map((r) => parameterizeResource(r, own))).toEqual([
      'arn:aws:sqs:us-east-1:${AWS::AccountId}:orders-${Stage}',
      'arn:aws:sqs:us-east-1:${AWS::AccountId}:jobs-${Stage}',
      'arn:aws:sqs:us-east-1:${AWS::AccountId}:config-dev',
    ]);
    // One dev and one prod name: the account's stage is unclear, so its names keep their tokens.
    const tie = planParameters({
      parameters: ['account'],
      stageTokens: ['dev', 'prod'],
      principalArns: principals,
      resources: resources.slice(1),
    });
    expect(tie.stageOfAccount).toEqual({});
    expect(parameterizeResource(resources[1] ?? '', tie)).toBe('arn:aws:sqs:us-east-1:${AWS::AccountId}:jobs-prod');
  });

  it('writes the region of kms:ViaService as a reference', () => {
    expect(parameterizeConditionValue('s3.us-east-1.amazonaws.com', plan)).toBe('s3.${AWS::Region}.amazonaws.com');
  });
});

describe('proveParameterizedCoverage', () => {
  const plan = planParameters({
    parameters: ['account'],
    stageTokens: ['dev', 'prod'],
    principalArns: principals,
    resources: [],
  });
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage'],
        Resource: ['arn:aws:sqs:us-east-1:${AWS::AccountId}:q-${Stage}'],
      },
    ],
  };

  it('allows what some observed environment allows, and names what none does', () => {
    const result = proveParameterizedCoverage([document], plan, [
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:us-east-1:${prod}:q-prod` },
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:us-east-1:${dev}:q-dev` },
      { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:333333333333:q-dev' },
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:us-east-1:${dev}:q-test` },
    ]);
    expect(result.misses.map((m) => m.resource)).toEqual([
      'arn:aws:sqs:us-east-1:333333333333:q-dev',
      `arn:aws:sqs:us-east-1:${dev}:q-test`,
    ]);
  });
});

describe('proveParameterizedCoverage per account', () => {
  it("holds each access to its own account's environment, not to any combination", () => {
    const plan = planParameters({
      parameters: ['account'],
      stageTokens: ['dev', 'prod'],
      principalArns: principals,
      resources: [`arn:aws:sqs:us-east-1:${dev}:q-dev`, `arn:aws:sqs:us-east-1:${prod}:q-prod`],
    });
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:${AWS::AccountId}:q-${Stage}' },
      ],
    };
    const result = proveParameterizedCoverage([document], plan, [
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:us-east-1:${prod}:q-prod` },
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:us-east-1:${prod}:q-dev` },
    ]);
    expect(result.misses.map((m) => m.resource)).toEqual([`arn:aws:sqs:us-east-1:${prod}:q-dev`]);
  });
});

describe('deployedSizes', () => {
  it('counts the longest value each reference takes, as IAM will', () => {
    const plan = planParameters({
      parameters: [],
      stageTokens: ['dev', 'production'],
      principalArns: [],
      resources: [],
    });
    const document: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:r:1:q-${Stage}' }],
    };
    const literal = JSON.stringify(document).replace('${Stage}', 'production').length;
    expect(deployedSizes([document], plan)).toEqual([literal]);
  });
});

describe('parameterized shaping (property)', () => {
  it('proves every observed access in some environment, whatever the names', () => {
    const env = fc.constantFrom(
      { account: dev, region: 'us-east-1', stage: 'dev' },
      { account: prod, region: 'eu-west-1', stage: 'prod' },
    );
    const name = fc.stringMatching(/^[a-z0-9_.-]{0,12}$/);
    const access = fc
      .tuple(env, name, fc.constantFrom('sqs', 's3', 'logs', 'dynamodb'), fc.boolean())
      .map(([e, n, service, staged]): Access => {
        const label = staged ? `${n}-${e.stage}` : n;
        switch (service) {
          case 'sqs':
            return { action: 'sqs:SendMessage', resource: `arn:aws:sqs:${e.region}:${e.account}:q${label}` };
          case 's3':
            return { action: 's3:GetObject', resource: `arn:aws:s3:::b-${e.account}/${label}/x` };
          case 'logs':
            return {
              action: 'logs:CreateLogStream',
              resource: `arn:aws:logs:${e.region}:${e.account}:log-group:/g/${label}:log-stream:s`,
            };
          default:
            return {
              action: 'kms:Decrypt',
              resource: `arn:aws:kms:${e.region}:${e.account}:key/k${label}`,
              context: { 'kms:ViaService': `sqs.${e.region}.amazonaws.com` },
            };
        }
      });
    fc.assert(
      fc.property(fc.array(access, { minLength: 1, maxLength: 15 }), (accesses) => {
        const plan = planParameters({
          parameters: ['account', 'region', 'partition'],
          stageTokens: ['dev', 'prod'],
          principalArns: principals,
          resources: accesses.map((a) => a.resource),
        });
        const shaped = shapePolicy(accesses, { policyKind: 'managed', objectPrefixThreshold: 0, parameters: plan });
        expect(proveParameterizedCoverage(shaped.documents, plan, accesses).misses).toEqual([]);
      }),
    );
  });
});
