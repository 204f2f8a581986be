import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { proveCoverage } from './coverage.js';
import type { PolicyDocument } from './policy-document.js';
import { shapePolicy } from './shape.js';
import type { Access } from './types.js';

const observed: Access[] = [
  { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:us-east-1:1:table/orders' },
  {
    action: 'kms:Decrypt',
    resource: 'arn:aws:kms:us-east-1:1:key/k',
    context: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
  },
  { action: 'sqs:ListQueues', resource: '*' },
];

describe('proveCoverage', () => {
  it('proves a generated policy allows everything observed', () => {
    expect(proveCoverage(shapePolicy(observed).documents, observed)).toEqual({ checked: 3, allowed: 3, misses: [] });
  });

  it('writes an observed `${` with the `${$}` escape, so the policy grants that very object', () => {
    const odd: Access[] = [{ action: 's3:GetObject', resource: 'arn:aws:s3:::media/${aws:username}/data.txt' }];
    const { documents } = shapePolicy(odd, { policyKind: 'managed', objectPrefixThreshold: 0, generalize: 'exact' });
    expect(documents[0]?.Statement[0]?.Resource).toEqual(['arn:aws:s3:::media/${$}{aws:username}/data.txt']);
    expect(proveCoverage(documents, odd).misses).toEqual([]);
    expect(
      proveCoverage(documents, [{ ...odd[0], resource: 'arn:aws:s3:::media/alice/data.txt' } as Access]).allowed,
    ).toBe(0);
  });

  it('names every access a deliberately broken policy misses', () => {
    const broken: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:us-east-1:1:table/order' },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com' } },
        },
        { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
      ],
    };
    const result = proveCoverage([broken], observed);
    expect(result.allowed).toBe(1);
    expect(result.misses).toEqual([observed[0], observed[1]]);
  });

  it('a policy generated from any accesses allows each of them (property)', () => {
    const access = fc.record(
      {
        action: fc.constantFrom(
          's3:GetObject',
          's3:PutObject',
          'kms:Decrypt',
          'iam:PassRole',
          'dynamodb:Query',
          'logs:PutLogEvents',
        ),
        resource: fc.oneof(
          fc.constant('*'),
          // `$`, `{` and `}` make keys such as `${a:b}`, which IAM would read as a policy variable.
          fc.stringMatching(/^[a-z0-9/._${}:-]{1,12}$/).map((key) => `arn:aws:s3:::media/${key}`),
          fc.constantFrom('arn:aws:iam::1:role/a', 'arn:aws:dynamodb:us-east-1:1:table/t/index/i'),
        ),
        context: fc.option(
          fc.record({ 'kms:ViaService': fc.constantFrom('s3.us-east-1.amazonaws.com', 'sqs.eu-west-1.amazonaws.com') }),
          { nil: undefined },
        ),
      },
      { requiredKeys: ['action', 'resource'] },
    );
    fc.assert(
      fc.property(
        fc.array(access, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(0, 3, 20),
        (accesses, threshold) => {
          const cleaned = accesses.map((a) =>
            a.context === undefined ? { action: a.action, resource: a.resource } : a,
          );
          const { documents } = shapePolicy(cleaned, { policyKind: 'user-inline', objectPrefixThreshold: threshold });
          expect(proveCoverage(documents, cleaned).misses).toEqual([]);
        },
      ),
    );
  });
});
