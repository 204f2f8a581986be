import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packDocuments, policySize, policySizeLimits } from './packing.js';
import type { PolicyStatement } from './policy-document.js';
import { shapePolicy } from './shape.js';
import type { Access } from './types.js';

const statement = fc.record({
  Sid: fc.stringMatching(/^[A-Za-z0-9]{1,40}$/),
  Effect: fc.constant('Allow' as const),
  Action: fc.array(fc.stringMatching(/^[a-z0-9]{2,8}:[A-Za-z]{3,30}$/), { minLength: 1, maxLength: 40 }),
  Resource: fc.array(fc.stringMatching(/^arn:aws:s3:::[a-z0-9]{3,10}\/[A-Za-z0-9/]{1,120}$/), {
    minLength: 1,
    maxLength: 300,
  }),
});

const grants = (statements: readonly PolicyStatement[]) =>
  new Set(
    statements.flatMap((s) => {
      const actions = typeof s.Action === 'string' ? [s.Action] : (s.Action ?? []);
      const resources = typeof s.Resource === 'string' ? [s.Resource] : (s.Resource ?? []);
      return actions.flatMap((a) => resources.map((r) => `${a} ${r}`));
    }),
  );

describe('packDocuments', () => {
  it('keeps every document within its limit as IAM counts it, and loses no grant (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(statement, { minLength: 1, maxLength: 25, selector: (s) => s.Sid }),
        fc.constantFrom(...Object.values(policySizeLimits)),
        (statements, limit) => {
          const documents = packDocuments(statements, limit);
          for (const document of documents) expect(policySize(document)).toBeLessThanOrEqual(limit);
          expect(grants(documents.flatMap((d) => d.Statement))).toEqual(grants(statements));
          const sids = documents.flatMap((d) => d.Statement.map((s) => s.Sid));
          expect(new Set(sids).size).toBe(sids.length);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// A report job writes one object per run under random key segments: 4,032 distinct ARNs in a month.
function reportJob(): Access[] {
  let seed = 7;
  const random = (length: number) => {
    let text = '';
    for (let i = 0; i < length; i += 1) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      text += 'abcdefghijklmnopqrstuvwxyz0123456789'.charAt(seed % 36);
    }
    return text;
  };
  return Array.from({ length: 4032 }, () => ({
    action: 's3:PutObject',
    resource: `arn:aws:s3:::acme-analytics-reports/daily/${random(10)}/${random(12)}.csv`,
  }));
}

describe('attachable output', () => {
  it('reproduces the 49 documents exact resources need, each within the managed limit', () => {
    const shaped = shapePolicy(reportJob(), {
      policyKind: 'managed',
      objectPrefixThreshold: 20,
      generalize: 'exact',
      maxDocuments: Number.POSITIVE_INFINITY,
    });
    expect(shaped.documents).toHaveLength(49);
    for (const size of shaped.sizes) expect(size).toBeLessThanOrEqual(6144);
  });

  it('widens until the policy fits ten managed policies, and says why', () => {
    const shaped = shapePolicy(reportJob(), { policyKind: 'managed', objectPrefixThreshold: 20, generalize: 'exact' });
    expect(shaped.attachable).toBe(true);
    expect(shaped.documents.length).toBeLessThanOrEqual(10);
    for (const size of shaped.sizes) expect(size).toBeLessThanOrEqual(6144);
    expect(new Set(shaped.generalizations.map((g) => g.rule))).toEqual(new Set(['fit-prefix']));
    expect(shaped.generalizations.every((g) => g.into.startsWith('arn:aws:s3:::acme-analytics-reports/daily/'))).toBe(
      true,
    );
    expect(shaped.generalizations[0]?.because).toBe('49 documents needed, at most 10 can be attached');
    expect(shaped.generalizations.reduce((n, g) => n + g.replaced, 0)).toBeGreaterThan(3000);
  });

  it('fits one inline policy when asked for role-inline', () => {
    const accesses = Array.from(
      { length: 400 },
      (_, i): Access => ({ action: 'dynamodb:GetItem', resource: `arn:aws:dynamodb:us-east-1:1:table/t${i}x` }),
    );
    const shaped = shapePolicy(accesses, { policyKind: 'role-inline', objectPrefixThreshold: 20 });
    expect(shaped.documents).toHaveLength(1);
    expect(shaped.documents[0]?.Statement[0]?.Resource).toEqual(['arn:aws:dynamodb:us-east-1:1:table/*']);
    expect(shaped.generalizations.map((g) => g.rule)).toEqual(['fit-type']);
  });

  it('in safe mode the job creates its objects, so they collapse to their shared stable prefix before any fitting', () => {
    const shaped = shapePolicy(reportJob());
    expect(shaped.documents).toHaveLength(1);
    expect(shaped.documents[0]?.Statement[0]?.Resource).toEqual(['arn:aws:s3:::acme-analytics-reports/daily/*']);
    expect(shaped.generalizations.map((g) => g.rule)).toEqual(['lifecycle-prefix']);
  });
});
