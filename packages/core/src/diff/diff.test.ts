import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { wildcardMatch } from '../evaluate/wildcard.js';
import type { IamCatalog } from '../iam-catalog.js';
import { loadIamCatalog } from '../iam-catalog.js';
import type { PolicyDocument, PolicyStatement } from '../policy-document.js';
import { diffPolicies } from './diff.js';
import { expandGrants, patternCovers, patternsOverlap } from './grants.js';
import { diffAsJson, renderDiffMarkdown, renderDiffText } from './render-diff.js';

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

const doc = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const table = 'arn:aws:dynamodb:us-east-1:1:table/orders';
const proposed = doc({ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: table });

describe('expandGrants', () => {
  it('expands service wildcards against the catalog', () => {
    const grants = expandGrants([doc({ Effect: 'Allow', Action: 'dynamodb:*', Resource: table })], catalog);
    const catalogCount = catalog.service('dynamodb')?.actions.size ?? 0;
    expect(grants).toHaveLength(catalogCount);
    expect(grants.every((g) => g.resource === table)).toBe(true);
  });

  it('reads NotAction as every other catalog action', () => {
    const grants = expandGrants(
      [doc({ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' })],
      catalog,
    );
    expect(grants.some((g) => g.action.startsWith('iam:'))).toBe(false);
    expect(grants.some((g) => g.action === 's3:GetObject')).toBe(true);
  });

  it('subtracts unconditional Deny statements', () => {
    const grants = expandGrants(
      [
        doc(
          { Effect: 'Allow', Action: 's3:*', Resource: '*' },
          { Effect: 'Deny', Action: 's3:Delete*', Resource: '*' },
        ),
      ],
      catalog,
    );
    expect(grants.some((g) => g.action.startsWith('s3:Delete'))).toBe(false);
    expect(grants.some((g) => g.action === 's3:GetObject')).toBe(true);
  });
});

describe('diffPolicies', () => {
  it('counts what a proposal removes from dynamodb:* and how much privilege that is', () => {
    const current = doc({ Effect: 'Allow', Action: 'dynamodb:*', Resource: table });
    const diff = diffPolicies([current], [proposed], catalog, { dataEventsSeen: true });
    const total = catalog.service('dynamodb')?.actions.size ?? 0;
    expect(diff.current).toBe(total);
    expect(diff.kept.map((g) => g.action)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(diff.removed).toHaveLength(total - 2);
    expect(diff.added).toEqual([]);
    expect(diff.reductionPercent).toBe(Math.round(((total - 2) / total) * 1000) / 10);
    expect(diff.changed).toBe(true);
  });

  it('flags removed data-plane actions as unknown when the logs held no data events', () => {
    const current = doc({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:DeleteTable'],
      Resource: table,
    });
    const diff = diffPolicies([current], [proposed], catalog, { dataEventsSeen: false });
    expect(diff.removed.map((g) => [g.action, g.reason])).toEqual([
      ['dynamodb:DeleteTable', 'not-seen-in-window'],
      ['dynamodb:Scan', 'unknown-data-plane'],
    ]);
  });

  it('keeps data-plane removals unknown for a service the input showed no data events of, even when it showed others', () => {
    const current = doc(
      { Effect: 'Allow', Action: ['dynamodb:Scan', 'dynamodb:DeleteTable'], Resource: table },
      { Effect: 'Allow', Action: ['lambda:InvokeFunction', 's3:GetObject'], Resource: '*' },
    );
    const diff = diffPolicies([current], [proposed], catalog, {
      dataEventsSeen: true,
      dataEventServices: new Set(['s3']),
    });
    expect(diff.removed.map((g) => [g.action, g.reason])).toEqual([
      ['dynamodb:DeleteTable', 'not-seen-in-window'],
      ['dynamodb:Scan', 'unknown-data-plane'],
      ['lambda:InvokeFunction', 'unknown-data-plane'],
      ['s3:GetObject', 'not-seen-in-window'],
    ]);
  });

  it('reports added grants, and a grant on another resource of a kept action as removed, not narrowed', () => {
    const current = doc({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `${table}-old` });
    const diff = diffPolicies([current], [proposed], catalog, { dataEventsSeen: true });
    expect(diff.added.map((g) => g.action)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
    expect(diff.narrowed).toEqual([]);
    expect(diff.removed.map((g) => g.resource)).toEqual([`${table}-old`]);
  });

  it('treats a wildcard resource as covering the specific one', () => {
    const current = doc({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: 'arn:aws:dynamodb:us-east-1:1:table/*',
    });
    const diff = diffPolicies([current], [proposed], catalog, { dataEventsSeen: true });
    expect(diff.added).toEqual([]);
    expect(diff.narrowed).toHaveLength(2);
    expect(diff.removed).toEqual([]);
  });

  it('is unchanged when the proposal equals the current policy', () => {
    const diff = diffPolicies([proposed], [proposed], catalog, { dataEventsSeen: true });
    expect(diff).toMatchObject({ changed: false, reductionPercent: 0, removed: [], added: [] });
  });

  it('lists observed denied calls that the current policy denies', () => {
    const denied = [
      { action: 'dynamodb:DeleteItem', resource: table },
      { action: 'dynamodb:GetItem', resource: table },
    ];
    const diff = diffPolicies([proposed], [proposed], catalog, { dataEventsSeen: true, deniedAccesses: denied });
    expect(diff.deniedByCurrent).toEqual([denied[0]]);
  });

  it('renders text and a markdown pull-request body', () => {
    const current = doc({
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'],
      Resource: table,
    });
    const diff = diffPolicies([current], [proposed], catalog, { dataEventsSeen: false });
    expect(renderDiffText(diff)).toBe(
      [
        'privilege: 1 of 3 current grants removed or narrowed (33.3%): 1 removed, 0 narrowed to the resources used, 2 kept, 0 added',
        '',
        'removed, use unknown (data-plane actions; the logs held no data events):',
        '  dynamodb: 1',
        `    dynamodb:Scan on ${table}`,
        '',
      ].join('\n'),
    );
    const markdown = renderDiffMarkdown(diff);
    expect(markdown).toContain('| dynamodb | 1 | 0 | 0 | 2 |');
    expect(markdown).toContain('**unknown, not unused**');
    const narrowed = diffPolicies(
      [doc({ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' })],
      [proposed],
      catalog,
      {
        dataEventsSeen: true,
      },
    );
    expect(renderDiffMarkdown(narrowed)).toContain('<details><summary>Narrowed to the resources used (1)</summary>');
    expect(renderDiffText(narrowed)).toContain(
      'narrowed to the resources used:\n  dynamodb: 1\n    dynamodb:GetItem on *',
    );
  });
});

describe('diffPolicies: what a current policy really allows', () => {
  const bucketB = 'arn:aws:s3:::bucket-b/*';
  const getB = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: bucketB });
  it.each<[string, PolicyDocument, number]>([
    [
      'everything but bucket-b (NotResource)',
      doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: bucketB }),
      1,
    ],
    [
      'everything, with bucket-b denied',
      doc(
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Deny', Action: 's3:GetObject', Resource: bucketB },
      ),
      1,
    ],
    [
      'one-character keys only (?)',
      doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket-b/?' }),
      1,
    ],
    [
      'bucket-b, but only under a condition',
      doc({
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: bucketB,
        Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
      }),
      1,
    ],
    [
      'everything, with all but bucket-b denied (Deny NotResource)',
      doc(
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
        { Effect: 'Deny', Action: 's3:*', NotResource: [bucketB, 'arn:aws:s3:::bucket-b'] },
      ),
      0,
    ],
    ['every object of every bucket', doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*/*' }), 0],
  ])('a proposal of bucket-b objects over %s: %i added', (_, current, added) => {
    expect(diffPolicies([current], [getB], catalog, { dataEventsSeen: true }).added).toHaveLength(added);
  });
});

describe('expandPolicy', () => {
  it('counts a conditional grant beside the same grant without condition once, as the latter', () => {
    const grants = expandGrants(
      [
        doc(
          { Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
          {
            Effect: 'Allow',
            Action: 'sqs:ListQueues',
            Resource: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'true' } },
          },
        ),
      ],
      catalog,
    );
    expect(grants).toEqual([{ action: 'sqs:ListQueues', resource: '*', conditional: false }]);
  });
});

describe('the three renderings agree', () => {
  it('count narrowed grants in JSON, and name exceptions and conditions in text and Markdown', () => {
    const current = doc(
      { Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' },
      {
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: '*',
        Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      },
    );
    const next = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::media/*' });
    const diff = diffPolicies([current], [next], catalog, { dataEventsSeen: true });
    const counts = diffAsJson(diff).grants as Record<string, number>;
    expect(counts).toMatchObject({ current: 2, kept: 0, narrowed: 1, removed: 1 });
    expect((counts.kept ?? 0) + (counts.narrowed ?? 0) + (counts.removed ?? 0)).toBe(counts.current);
    expect(renderDiffText(diff)).toContain('s3:GetObject on * except arn:aws:s3:::secret/*');
    expect(renderDiffText(diff)).toContain('iam:PassRole on * (with conditions)');
    expect(renderDiffMarkdown(diff)).toContain('on `*` except `arn:aws:s3:::secret/*`');
    expect(renderDiffMarkdown(diff)).toContain('`iam:PassRole` on `*` (with conditions)');
  });
});

describe('resource pattern containment and overlap', () => {
  const patterns = fc.stringMatching(/^[ab*?]{0,5}$/);
  const texts = ['', 'a', 'b', 'ab', 'ba', 'aa', 'bb', 'aab', 'abb', 'bab', 'abab', 'bbbb', 'aaaaa', '*', '?', 'a*b'];
  it('covers exactly when every text one matches the other does (on samples), and overlaps when one text matches both', () => {
    fc.assert(
      fc.property(patterns, patterns, (outer, inner) => {
        const matchedByInner = texts.filter((text) => wildcardMatch(inner, text));
        if (patternCovers(outer, inner)) expect(matchedByInner.every((text) => wildcardMatch(outer, text))).toBe(true);
        else if (!/[*?]/.test(inner)) expect(wildcardMatch(outer, inner)).toBe(false);
        const shared = texts.some((text) => wildcardMatch(outer, text) && wildcardMatch(inner, text));
        if (shared) expect(patternsOverlap(outer, inner)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/x/*', true, true],
    ['arn:aws:s3:::b/?', 'arn:aws:s3:::b/*', false, true],
    ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*', false, false],
    ['*', 'anything', true, true],
  ])('%s over %s: covers %s, overlaps %s', (outer, inner, covers, overlaps) => {
    expect(patternCovers(outer, inner)).toBe(covers);
    expect(patternsOverlap(outer, inner)).toBe(overlaps);
  });
});
