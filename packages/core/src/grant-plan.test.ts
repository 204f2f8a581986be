import { describe, expect, it } from 'vitest';
import { addUnloggedCompanions, unloggedCompanions } from './companions.js';
import { dataEventGaps } from './data-events.js';
import { narrowEscalationGrants } from './escalation.js';
import { planGrants } from './grant-plan.js';
import type { Access } from './types.js';

const owner = 'arn:aws:iam::111122223333:role/ci/deployer';
const stream = 'arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/app:log-stream:2024/05/01/[$LATEST]abc';

describe('unlogged companions', () => {
  // One row per table entry: the logged call in, the unlogged call out, with the documentation named.
  it.each([['logs:CreateLogStream', stream, 'logs:PutLogEvents', stream]])(
    '%s on %s adds %s on %s',
    (logged, resource, adds, expected) => {
      const result = addUnloggedCompanions([{ action: logged, resource }]);
      expect(result.accesses).toEqual([
        { action: logged, resource },
        { action: adds, resource: expected },
      ]);
      expect(result.added).toEqual([
        {
          logged,
          action: adds,
          resources: 1,
          documentation: expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\//),
        },
      ]);
    },
  );

  it('covers every row of the table with a test above, and adds nothing already observed', () => {
    expect(unloggedCompanions.map((row) => row.logged)).toEqual(['logs:CreateLogStream']);
    const both: Access[] = [
      { action: 'logs:CreateLogStream', resource: stream },
      { action: 'logs:PutLogEvents', resource: stream },
    ];
    expect(addUnloggedCompanions(both)).toEqual({ accesses: both, added: [] });
  });
});

describe('privilege-escalation grants', () => {
  const profile = 'arn:aws:iam::111122223333:instance-profile/web';
  const passed = { 'iam:PassedToService': 'ec2.amazonaws.com' };

  it('resolves an instance profile to its roles when IAM data is given', () => {
    const result = narrowEscalationGrants([{ action: 'iam:PassRole', resource: profile, context: passed }], {
      principalArn: owner,
      instanceProfiles: new Map([[profile, ['arn:aws:iam::111122223333:role/web-ec2']]]),
    });
    expect(result).toEqual({
      accesses: [{ action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/web-ec2', context: passed }],
      toNarrow: [],
    });
  });

  it.each([
    ['iam:PassRole', profile, 'arn:aws:iam::111122223333:role/*'],
    ['iam:PassRole', '*', 'arn:aws:iam::111122223333:role/*'],
    ['iam:CreateRole', '*', 'arn:aws:iam::111122223333:role/*'],
    ['iam:AttachRolePolicy', '*', 'arn:aws:iam::111122223333:role/*'],
    ['iam:PutUserPolicy', '*', 'arn:aws:iam::111122223333:user/*'],
    ['iam:AttachGroupPolicy', '*', 'arn:aws:iam::111122223333:group/*'],
    ['sts:AssumeRole', '*', 'arn:aws:iam::111122223333:role/*'],
  ])('%s on %s falls back to %s in the account, listed to narrow', (action, resource, expected) => {
    const result = narrowEscalationGrants([{ action, resource, context: passed }], { principalArn: owner });
    expect(result.accesses).toEqual([{ action, resource: expected, context: passed }]);
    expect(result.toNarrow).toHaveLength(1);
    expect(result.toNarrow[0]?.resource).toBe(expected);
  });

  it('leaves named roles and other actions alone', () => {
    const accesses: Access[] = [
      { action: 'iam:PassRole', resource: 'arn:aws:iam::111122223333:role/x', context: passed },
      { action: 's3:ListAllMyBuckets', resource: '*' },
    ];
    expect(narrowEscalationGrants(accesses, { principalArn: owner })).toEqual({ accesses, toNarrow: [] });
  });

  it('plans both: narrowed escalation and companions', () => {
    const plan = planGrants(
      [
        { action: 'iam:PassRole', resource: '*', context: passed },
        { action: 'logs:CreateLogStream', resource: stream },
      ],
      { principalArn: owner },
    );
    expect(plan.accesses.map((a) => `${a.action} ${a.resource}`)).toEqual([
      'iam:PassRole arn:aws:iam::111122223333:role/*',
      `logs:CreateLogStream ${stream}`,
      `logs:PutLogEvents ${stream}`,
    ]);
  });
});

describe('dataEventGaps', () => {
  const accesses: Access[] = [
    { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' },
    { action: 'dynamodb:DescribeTable', resource: 'arn:aws:dynamodb:us-east-1:1:table/t' },
    { action: 'sts:GetCallerIdentity', resource: '*' },
  ];
  it('names the services used whose data events the source does not hold', () => {
    expect(dataEventGaps(accesses, true).map((g) => g.service)).toEqual(['dynamodb']);
    expect(dataEventGaps(accesses, false).map((g) => g.service)).toEqual(['s3', 'dynamodb']);
    expect(dataEventGaps([{ action: 'sts:GetCallerIdentity', resource: '*' }], false)).toEqual([]);
  });
});
