import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessSet } from './access-set.js';
import { evaluate } from './evaluate/evaluate.js';
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

describe('explainStatements on patterns without conditions', () => {
  const part = fc.constantFrom('a', 'A', 'b', '*', '?', '/', 'x/y', '', 'Ä');
  const pattern = fc.array(part, { maxLength: 4 }).map((parts) => `arn:aws:s3:::lake/${parts.join('')}`);
  const resource = fc.array(fc.constantFrom('a', 'A', 'b', '/', 'x', '?', '*', 'Ä'), { maxLength: 5 });

  it('counts exactly the accesses the IAM evaluator allows', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(pattern, { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(
          resource.map((parts) => `arn:aws:s3:::lake/${parts.join('')}`),
          { maxLength: 12 },
        ),
        (resources, observedResources) => {
          const set = new AccessSet();
          for (const [i, r] of observedResources.entries()) {
            set.add({ action: 's3:PutObject', resource: r }, { count: i + 1, eventId: `e${i}` });
          }
          const statement = { Sid: 'S', Effect: 'Allow' as const, Action: ['s3:PutObject'], Resource: resources };
          const [evidence] = explainStatements([{ Version: '2012-10-17', Statement: [statement] }], set.entries(), []);
          const allowed = set.entries().filter(
            (e) =>
              evaluate([{ Version: '2012-10-17', Statement: [statement] }], {
                action: e.access.action,
                resource: e.access.resource,
              }).decision === 'allow',
          );
          expect(evidence?.samples.map((sample) => sample.resource)).toEqual(allowed.map((e) => e.access.resource));
          expect(evidence?.events).toBe(allowed.reduce((sum, e) => sum + e.count, 0));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('explainStatements with more pairs than a statement lists', () => {
  const statement = { Sid: 'S', Effect: 'Allow' as const, Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::lake/*' };
  const documents = [{ Version: '2012-10-17' as const, Statement: [statement] }];
  const written = (counts: readonly number[]) => {
    const set = new AccessSet();
    counts.forEach((count, i) => {
      const resource = `arn:aws:s3:::lake/${String(i).padStart(3, '0')}`;
      set.add({ action: 's3:PutObject', resource }, { count, eventId: `e${i}` });
    });
    return set.entries();
  };

  it.each([
    { name: 'up to the limit: every pair, nothing unlisted', counts: [1, 1, 1], listed: 3, shown: [0, 1, 2] },
    { name: 'the busiest, in resource order', counts: [1, 5, 2, 5, 3], listed: 3, shown: [1, 3, 4] },
    { name: 'ties at the bar: the earlier pairs', counts: [2, 2, 2, 2, 9], listed: 3, shown: [0, 1, 4] },
    { name: 'every count equal', counts: [1, 1, 1, 1], listed: 1, shown: [0] },
  ])('$name', ({ counts, listed, shown }) => {
    const [evidence] = explainStatements(documents, written(counts), [], undefined, listed);
    const total = counts.reduce((sum, c) => sum + c, 0);
    const shownEvents = shown.reduce((sum, i) => sum + (counts[i] as number), 0);
    expect(evidence?.samples.map((s) => s.sampleEventId)).toEqual(shown.map((i) => `e${i}`));
    expect(evidence?.events).toBe(total);
    expect(evidence?.unlisted).toEqual(
      shown.length === counts.length ? undefined : { pairs: counts.length - shown.length, events: total - shownEvents },
    );
  });

  it('lists the 100 busiest by default and says what it left out, in text and Markdown', () => {
    const [evidence] = explainStatements(
      documents,
      written(Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? 2 : 1))),
      [],
    );
    expect(evidence?.samples).toHaveLength(100);
    expect(evidence?.unlisted).toEqual({ pairs: 50, events: 50 });
    const line = '50 more (action, resource) pairs with 50 events, not listed: the busiest are shown';
    expect(renderExplanationText([evidence as NonNullable<typeof evidence>])).toContain(`  ${line}\n`);
    expect(renderExplanationMarkdown('Evidence', [evidence as NonNullable<typeof evidence>])).toContain(`\n${line}\n`);
  });

  it('keeps the pairs with the most events, and no other, whatever the counts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 40 }),
        (counts, listed) => {
          const [all] = explainStatements(documents, written(counts), [], undefined, Number.POSITIVE_INFINITY);
          const [some] = explainStatements(documents, written(counts), [], undefined, listed);
          const samples = some?.samples ?? [];
          expect(samples).toHaveLength(Math.min(listed, counts.length));
          // A subsequence of every pair, in the same order.
          const positions = samples.map((s) => all?.samples.findIndex((a) => a.resource === s.resource) ?? -1);
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
          const fewestShown = Math.min(...samples.map((s) => s.events));
          const left = (all?.samples ?? []).filter((a) => !samples.some((s) => s.resource === a.resource));
          expect(left.every((a) => a.events <= fewestShown)).toBe(true);
          expect((some?.unlisted?.events ?? 0) + samples.reduce((sum, s) => sum + s.events, 0)).toBe(all?.events);
        },
      ),
      { numRuns: 200 },
    );
  });
});
