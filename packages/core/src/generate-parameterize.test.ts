import { describe, expect, it } from 'vitest';
import { generatePolicies } from './generate.js';

function record(account: string, region: string, stage: string): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${account}:assumed-role/app/s`,
      accountId: account,
      sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${account}:role/app`, accountId: account } },
    },
    eventTime: '2024-05-01T00:00:00Z',
    eventSource: 'sqs.amazonaws.com',
    eventName: 'SendMessage',
    awsRegion: region,
    requestParameters: { queueUrl: `https://sqs.${region}.amazonaws.com/${account}/jobs-${stage}` },
    eventID: `${stage}-1`,
    eventType: 'AwsApiCall',
    recipientAccountId: account,
  };
}

describe('generatePolicies with parameterize', () => {
  it('merges accounts of one workload into one statement with references, proved per environment', async () => {
    const { policies } = await generatePolicies(
      [record('111111111111', 'us-east-1', 'dev'), record('222222222222', 'eu-west-1', 'prod')],
      {
        selection: { selectors: [{ kind: 'role', value: 'app' }], all: false },
        parameterize: { parameters: ['account', 'region', 'partition'], stageTokens: ['dev', 'prod'] },
      },
    );
    const [only] = policies;
    if (only?.outcome.status !== 'ok') throw new Error(`unexpected outcome ${only?.outcome.status}`);
    expect(only.outcome.shaped.documents[0]?.Statement).toEqual([
      {
        Sid: 'SqsWriteJobs',
        Effect: 'Allow',
        Action: ['sqs:SendMessage'],
        Resource: ['arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs-${Stage}'],
      },
    ]);
    expect(only.outcome.coverage.misses).toEqual([]);
    expect(only.outcome.parameters?.values.account).toEqual(['111111111111', '222222222222']);
  });
});

describe('generatePolicies options', () => {
  const selection = { selectors: [{ kind: 'role' as const, value: 'app' }], all: false };
  it.each([
    [{ since: 'garbage' }, /since "garbage" is not an ISO-8601 time/],
    [{ until: 5 }, /until 5 is not an ISO-8601 time/],
    [{ since: '2024-06-01', until: '2024-05-01' }, /since 2024-06-01 is not before until 2024-05-01/],
    [{ policyKind: 'x' }, /policyKind "x" is not one of managed, role-inline, user-inline/],
    [{ generalize: 'wild' }, /generalize "wild" is not one of exact, safe, broad/],
    [{ maxDocuments: 0 }, /maxDocuments 0 is not a whole number of at least 1/],
    [{ maxDocuments: 1.5 }, /maxDocuments 1.5/],
    [{ objectPrefixThreshold: -1 }, /objectPrefixThreshold -1/],
    [{ selection: { all: true } }, /selection must be/],
  ])('refuses %j with a RangeError naming the option', async (bad, message) => {
    const options = { selection, ...bad } as unknown as Parameters<typeof generatePolicies>[1];
    await expect(generatePolicies([record('111111111111', 'us-east-1', 'dev')], options)).rejects.toThrow(message);
    await expect(generatePolicies([], options)).rejects.toBeInstanceOf(RangeError);
  });

  it('takes a valid window and limits', async () => {
    const { policies } = await generatePolicies([record('111111111111', 'us-east-1', 'dev')], {
      selection,
      since: '2024-05-01',
      until: '2024-05-02T00:00:00Z',
      maxDocuments: 1,
      objectPrefixThreshold: 0,
      policyKind: 'role-inline',
      generalize: 'exact',
    });
    expect(policies.map((p) => p.outcome.status)).toEqual(['ok']);
  });
});
