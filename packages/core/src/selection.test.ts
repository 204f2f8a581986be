import { describe, expect, it } from 'vitest';
import type { Principal } from './attribute.js';
import type { PrincipalSelection } from './selection.js';
import { mayBelongToSelection, prefilterNeedles, targetsOf, unmatchedGlobs } from './selection.js';

const role = (arn: string): Principal => ({ kind: 'role', arn });
const only = (value: string, kind: 'role' | 'user' = 'role'): PrincipalSelection => ({
  selectors: [{ kind, value }],
  all: false,
});

/** A record's raw text as CloudTrail writes it for an assumed-role session of `roleArn`. */
function sessionRecord(roleArn: string, escapeSlashes = false): string {
  const name = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const account = roleArn.split(':')[4];
  const text = JSON.stringify({
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${account}:assumed-role/${name}/session-1`,
      sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn, userName: name } },
    },
    eventSource: 's3.amazonaws.com',
  });
  return escapeSlashes ? text.replaceAll('/', '\\/') : text;
}

describe('prefilterNeedles', () => {
  // Each row: selection, raw record, whether the record must be parsed. A `false` row must never hold the principal.
  it.each([
    ['app', sessionRecord('arn:aws:iam::123456789012:role/app'), true],
    ['app', sessionRecord('arn:aws:iam::123456789012:role/app-2'), false],
    ['app', sessionRecord('arn:aws:iam::123456789012:role/my-app'), false],
    ['app', sessionRecord('arn:aws:iam::123456789012:role/service/app'), true],
    ['app', sessionRecord('arn:aws:iam::123456789012:role/app', true), true],
    ['app-2', sessionRecord('arn:aws:iam::123456789012:role/app'), false],
    ['arn:aws:iam::123456789012:role/service/app', sessionRecord('arn:aws:iam::123456789012:role/service/app'), true],
    ['arn:aws:iam::123456789012:role/app', sessionRecord('arn:aws:iam::123456789012:role/application'), false],
    ['orders-*', sessionRecord('arn:aws:iam::123456789012:role/orders-api'), true],
    ['orders-*', sessionRecord('arn:aws:iam::123456789012:role/billing-api'), false],
    ['*-api', sessionRecord('arn:aws:iam::123456789012:role/billing-api'), true],
    // A glob before the last slash may stand for `role/`, the account, anything: nothing literal to look for.
    ['arn:aws:iam::123456789012:role*', sessionRecord('arn:aws:iam::123456789012:role/app'), true],
    ['arn:aws:iam::*:ro*', sessionRecord('arn:aws:iam::123456789012:role/app'), true],
  ])('%s on %s → %s', (value, text, expected) => {
    expect(mayBelongToSelection(text, prefilterNeedles(only(value)))).toBe(expected);
  });

  it('parses every record whose text has \\u escapes, since any character may hide behind one', () => {
    const text = sessionRecord('arn:aws:iam::123456789012:role/app').replace('/app"', '/\\u0061pp"');
    expect(mayBelongToSelection(text, prefilterNeedles(only('app')))).toBe(true);
  });

  it('does not filter for --all or a bare *', () => {
    expect(prefilterNeedles({ selectors: [], all: true })).toBeUndefined();
    expect(prefilterNeedles(only('*'))).toBeUndefined();
  });

  it('finds a user by the end of its ARN', () => {
    const text = JSON.stringify({ userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/ops/alice' } });
    expect(mayBelongToSelection(text, prefilterNeedles(only('alice', 'user')))).toBe(true);
    expect(mayBelongToSelection(text, prefilterNeedles(only('bob', 'user')))).toBe(false);
  });
});

describe('targetsOf', () => {
  it.each([
    [only('app'), 'arn:aws:iam::1:role/app', ['role:app']],
    [only('app'), 'arn:aws:iam::1:role/app-2', []],
    [only('app-*'), 'arn:aws:iam::1:role/app-2', ['arn:aws:iam::1:role/app-2']],
    [only('arn:aws:iam::1:role/*'), 'arn:aws:iam::2:role/app', []],
    [{ selectors: [], all: true }, 'arn:aws:iam::1:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS', []],
    [{ selectors: [], all: true }, 'arn:aws:iam::1:role/app', ['arn:aws:iam::1:role/app']],
    [{ selectors: [], all: true }, 'arn:aws:iam::1:role/AWSServiceRoleForRDS', []],
    // A named selector wins over a glob for the same principal: its records feed one analysis, not two.
    [
      {
        selectors: [
          { kind: 'role', value: 'app' },
          { kind: 'role', value: 'a*' },
        ],
        all: false,
      },
      'arn:aws:iam::1:role/app',
      ['role:app'],
    ],
  ] as const)('%j takes %s into %j', (selection, arn, keys) => {
    expect(targetsOf(selection as PrincipalSelection, role(arn)).map((t) => t.key)).toEqual(keys);
  });
});

describe('unmatchedGlobs', () => {
  const selection: PrincipalSelection = {
    selectors: [
      { kind: 'role', value: 'orders-*' },
      { kind: 'role', value: 'zz*' },
      { kind: 'role', value: 'ghost' },
      { kind: 'user', value: 'al*' },
      { kind: 'role', value: 'arn:aws:iam::1:role/team/*' },
    ],
    all: false,
  };
  it.each([
    [[], ['orders-*', 'zz*', 'al*', 'arn:aws:iam::1:role/team/*']],
    [['arn:aws:iam::1:role/orders-api'], ['zz*', 'al*', 'arn:aws:iam::1:role/team/*']],
    // A user glob matches users and federated users, never a role of the same name.
    [
      ['arn:aws:iam::1:role/alice', 'arn:aws:sts::1:federated-user/alex'],
      ['orders-*', 'zz*', 'arn:aws:iam::1:role/team/*'],
    ],
    [['arn:aws:iam::1:user/alice'], ['orders-*', 'zz*', 'arn:aws:iam::1:role/team/*']],
    // An ARN glob matches the path; a name glob the name after it.
    [['arn:aws:iam::1:role/team/zz-top'], ['orders-*', 'al*']],
  ])('after matching %j, names %j', (arns, unmatched) => {
    expect(unmatchedGlobs(selection, arns).map((s) => s.value)).toEqual(unmatched);
  });
});
