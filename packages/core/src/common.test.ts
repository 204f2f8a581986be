import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCommonStatements } from './common.js';
import { proveCoverage } from './coverage.js';
import type { PolicyDocument, PolicyStatement } from './policy-document.js';
import { shapePolicy } from './shape.js';
import type { Access } from './types.js';

const table = (name: string) => `arn:aws:dynamodb:us-east-1:1:table/${name}`;
const logs = 'arn:aws:logs:us-east-1:1:log-group:/shared:*';

function document(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

describe('splitCommonStatements', () => {
  it('puts what every role needs into one shared set and leaves each role the rest', () => {
    const api: Access[] = [
      { action: 'logs:CreateLogStream', resource: logs },
      { action: 'dynamodb:GetItem', resource: table('orders') },
      { action: 'dynamodb:PutItem', resource: table('orders') },
    ];
    const worker: Access[] = [
      { action: 'logs:CreateLogStream', resource: logs },
      { action: 'dynamodb:GetItem', resource: table('orders') },
      { action: 'sqs:ReceiveMessage', resource: 'arn:aws:sqs:us-east-1:1:jobs' },
    ];
    const split = splitCommonStatements([shapePolicy(api).documents, shapePolicy(worker).documents]);
    expect(split.common.map((s) => [s.Action, s.Resource])).toEqual([
      [['dynamodb:GetItem'], [table('orders')]],
      [['logs:CreateLogStream'], [logs]],
    ]);
    expect(split.remainders.map((r) => r.map((s) => s.Action))).toEqual([
      [['dynamodb:PutItem']],
      [['sqs:ReceiveMessage']],
    ]);
  });

  it('keeps a grant out of the shared set when its condition differs between roles', () => {
    const key = 'arn:aws:kms:us-east-1:1:key/k';
    const via = (service: string): Access => ({
      action: 'kms:Decrypt',
      resource: key,
      context: { 'kms:ViaService': `${service}.us-east-1.amazonaws.com` },
    });
    const split = splitCommonStatements([shapePolicy([via('s3')]).documents, shapePolicy([via('sqs')]).documents]);
    expect(split.common).toEqual([]);
    expect(split.remainders.map((r) => r.length)).toEqual([1, 1]);
  });

  it('shares nothing with a single role', () => {
    const split = splitCommonStatements([shapePolicy([{ action: 'sqs:ListQueues', resource: '*' }]).documents]);
    expect(split.common).toEqual([]);
    expect(split.remainders[0]).toHaveLength(1);
  });

  it('shared plus remainder covers each role, and the shared part is in every role (property)', () => {
    const access = fc.record({
      action: fc.constantFrom(
        's3:GetObject',
        's3:PutObject',
        'dynamodb:Query',
        'sqs:ListQueues',
        'logs:CreateLogStream',
      ),
      resource: fc.constantFrom('*', 'arn:aws:s3:::b/x', 'arn:aws:s3:::b/y', table('t'), logs),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(access, { minLength: 1, maxLength: 12 }), { minLength: 2, maxLength: 4 }),
        (roles) => {
          const policies = roles.map((accesses) => shapePolicy(accesses).documents);
          const split = splitCommonStatements(policies);
          roles.forEach((accesses, i) => {
            const union = [document(split.common), document(split.remainders[i] ?? [])];
            expect(proveCoverage(union, accesses).misses).toEqual([]);
            expect(proveCoverage(policies[i] ?? [], split.common.flatMap(statementAccesses)).misses).toEqual([]);
          });
        },
      ),
    );
  });
});

function statementAccesses(statement: PolicyStatement): Access[] {
  const actions = (statement.Action ?? []) as string[];
  const resources = (statement.Resource ?? []) as string[];
  return actions.flatMap((action) => resources.map((resource) => ({ action, resource })));
}
