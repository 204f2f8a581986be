import { describe, expect, it } from 'vitest';
import { AccessSet } from './access-set.js';
import { explainStatements, renderExplanationMarkdown, renderExplanationText } from './explain.js';
import { planParameters } from './parameterize.js';
import { shapePolicy } from './shape.js';

const group = 'arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/app';
const key = 'arn:aws:kms:us-east-1:111111111111:key/k';

function observed(): AccessSet {
  const set = new AccessSet();
  set.add(
    { action: 'logs:CreateLogStream', resource: `${group}:log-stream:a` },
    {
      count: 3,
      firstSeen: '2024-05-02T00:00:00Z',
      lastSeen: '2024-05-03T00:00:00Z',
      eventId: 'e-late',
    },
  );
  set.add(
    { action: 'logs:CreateLogStream', resource: `${group}:log-stream:b` },
    {
      count: 1,
      firstSeen: '2024-05-01T00:00:00Z',
      eventId: 'e-early',
    },
  );
  const via = (service: string) => ({ 'kms:ViaService': `${service}.us-east-1.amazonaws.com` });
  set.add(
    { action: 'kms:Decrypt', resource: key, context: via('s3') },
    { count: 2, firstSeen: '2024-05-05T00:00:00Z', eventId: 'k-s3' },
  );
  set.add(
    { action: 'kms:Decrypt', resource: key, context: via('sqs') },
    { count: 1, firstSeen: '2024-05-04T00:00:00Z', eventId: 'k-sqs' },
  );
  return set;
}

describe('explainStatements', () => {
  it('sums the events each statement allows, with a sample per (action, resource) and its generalizations', () => {
    const set = observed();
    const shaped = shapePolicy(set.accesses());
    const evidence = explainStatements(shaped.documents, set.entries(), shaped.generalizations);
    expect(evidence.map((e) => [e.sid, e.events, e.firstSeen, e.lastSeen])).toEqual([
      ['KmsK', 3, '2024-05-04T00:00:00Z', '2024-05-05T00:00:00Z'],
      ['LogsApp', 4, '2024-05-01T00:00:00Z', '2024-05-03T00:00:00Z'],
    ]);
    // Two condition contexts of one (action, resource) make one sample: the earliest event's id.
    expect(evidence[0]?.samples).toEqual([
      {
        action: 'kms:Decrypt',
        resource: key,
        events: 3,
        firstSeen: '2024-05-04T00:00:00Z',
        lastSeen: '2024-05-05T00:00:00Z',
        sampleEventId: 'k-sqs',
      },
    ]);
    expect(evidence[1]?.samples.map((s) => s.sampleEventId)).toEqual(['e-late', 'e-early']);
    expect(evidence[1]?.generalizations).toMatchObject([
      { rule: 'log-streams-of-group', into: `${group}:*`, replaced: 2 },
    ]);
    expect(renderExplanationText(evidence)).toContain(
      `  generalized log-streams-of-group: ${group}:* (covers 2 observed)`,
    );
    expect(renderExplanationMarkdown('Evidence', evidence)).toContain(
      `| kms:Decrypt | ${key} | 3 | 2024-05-04T00:00:00Z | 2024-05-05T00:00:00Z | k-sqs |`,
    );
  });

  it('matches observed literals to parameterized statements', () => {
    const set = observed();
    const plan = planParameters({
      parameters: ['account', 'region'],
      stageTokens: [],
      principalArns: ['arn:aws:iam::111111111111:role/app'],
      resources: set.accesses().map((a) => a.resource),
    });
    const shaped = shapePolicy(set.accesses(), { policyKind: 'managed', objectPrefixThreshold: 20, parameters: plan });
    const evidence = explainStatements(shaped.documents, set.entries(), shaped.generalizations, plan);
    expect(evidence.map((e) => e.events)).toEqual([3, 4]);
    expect(evidence[1]?.resources).toEqual([
      'arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/app:*',
    ]);
    expect(evidence[1]?.generalizations).toHaveLength(1);
  });
});
