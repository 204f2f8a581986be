import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { branchName, parseConfig } from '../src/propose/config.js';
import { redact } from '../src/propose/git.js';
import { gitHubSettings } from '../src/propose/github.js';
import { code, escapeMarkdown, pullRequestTitle } from '../src/propose/pr-body.js';

const minimal = { events: ['./logs'], policies: [{ role: 'app', file: 'policy.json' }] };

describe('propose config', () => {
  it('fills in the documented defaults', () => {
    const config = parseConfig(minimal, 'iamgen.config.yaml');
    expect(config).toMatchObject({
      since: '90d',
      branchPrefix: 'iamgen/',
      labels: [],
      reviewers: [],
      draft: false,
      policies: [
        {
          kind: 'role',
          principal: 'app',
          name: 'app',
          file: 'policy.json',
          safeguards: { minObservedDays: 30, minEvents: 10, maxDataAgeDays: 3, keepSidPattern: 'Keep', graceDays: 14 },
        },
      ],
    });
  });

  it('merges safeguards: defaults, then the top level, then the entry', () => {
    const config = parseConfig(
      {
        ...minimal,
        safeguards: { minEvents: 1, graceDays: 7 },
        policies: [{ user: 'arn:aws:iam::123456789012:user/ops/deployer', file: 'a.tf', safeguards: { graceDays: 0 } }],
      },
      'c.yaml',
    );
    expect(config.policies[0]).toMatchObject({
      kind: 'user',
      name: 'deployer',
      safeguards: { minEvents: 1, graceDays: 0, minObservedDays: 30 },
    });
  });

  const errors: [string, unknown, string][] = [
    ['no policies', { events: ['x'] }, 'c.yaml: policies: is required'],
    ['an unknown key', { ...minimal, reviewer: ['a'] }, 'c.yaml: unknown key "reviewer"'],
    [
      'a wrong type deep inside',
      { ...minimal, safeguards: { minEvents: 'ten' } },
      'c.yaml: safeguards.minEvents: expected number, received string',
    ],
    [
      'role and user both',
      { ...minimal, policies: [{ role: 'a', user: 'b', file: 'f' }] },
      'c.yaml: policies[0]: give exactly one of role or user',
    ],
    ['a bad window', { ...minimal, since: 'last week' }, 'c.yaml: since: expected a duration such as 90d'],
    [
      'a bad keep pattern',
      { ...minimal, safeguards: { keepSidPattern: '(' } },
      'c.yaml: safeguards.keepSidPattern: is not a valid regular expression',
    ],
    ['no source', { policies: minimal.policies }, 'c.yaml: give events, lookupEvents or athena'],
    [
      'Athena next to other sources',
      { ...minimal, athena: { table: 't', regions: ['us-east-1'] } },
      'c.yaml: athena reads the whole trail; give it without events and lookupEvents',
    ],
    ['Athena without regions', { ...minimal, athena: { table: 't' } }, 'c.yaml: athena.regions: is required'],
    [
      'an Athena output that is not an S3 location',
      { ...minimal, athena: { table: 't', regions: ['us-east-1'], output: '/tmp/out' } },
      'c.yaml: athena.output: is not an s3://bucket/prefix/ location',
    ],
    [
      'a principal listed twice',
      {
        ...minimal,
        policies: [
          { role: 'app', file: 'a' },
          { role: 'arn:aws:iam::1:role/app', file: 'b' },
        ],
      },
      'c.yaml: policies[1].role: arn:aws:iam::1:role/app has the name of policies[0]; one entry per principal name',
    ],
    [
      'a role and a user of one name',
      {
        ...minimal,
        policies: [
          { role: 'deploy', file: 'a' },
          { user: 'deploy', file: 'b' },
        ],
      },
      'c.yaml: policies[1].user: deploy has the name of policies[0]',
    ],
  ];
  for (const [name, raw, message] of errors) {
    it(`names the key for ${name}`, () => {
      expect(() => parseConfig(raw, 'c.yaml')).toThrow(message);
    });
  }
});

describe('proposal branches', () => {
  it('tells apart names that would make one branch, whatever the order of the entries', () => {
    const branchesOf = (names: string[]) =>
      parseConfig({ ...minimal, policies: names.map((role) => ({ role, file: 'a' })) }, 'c.yaml').policies.map(
        (entry) => [entry.name, entry.branch],
      );
    const [first, second] = branchesOf(['svc@prod', 'svc+prod', 'orders-api']);
    expect(first?.[1]).toMatch(/^iamgen\/svc-prod-[0-9a-f]{8}$/);
    expect(second?.[1]).toMatch(/^iamgen\/svc-prod-[0-9a-f]{8}$/);
    expect(first?.[1]).not.toBe(second?.[1]);
    expect(branchesOf(['orders-api', 'svc+prod', 'svc@prod']).sort()).toEqual(
      branchesOf(['svc@prod', 'svc+prod', 'orders-api']).sort(),
    );
    expect(branchesOf(['orders-api'])).toEqual([['orders-api', 'iamgen/orders-api']]);
  });
});

describe('pull request text', () => {
  it('escapes Markdown and HTML in prose', () => {
    expect(escapeMarkdown('a|b <img src=x> *bold* [link](u)')).toBe(
      'a\\|b \\<img src=x\\> \\*bold\\* \\[link\\]\\(u\\)',
    );
  });

  it('keeps code spans intact around backticks and table pipes', () => {
    expect(code('arn:aws:s3:::b/a|b')).toBe('`arn:aws:s3:::b/a\\|b`');
    expect(code('x`y')).toBe('``x`y``');
    expect(code('`edge')).toBe('`` `edge ``');
  });

  it('fills the title template', () => {
    const entry = parseConfig(minimal, 'c.yaml').policies[0];
    if (entry === undefined) throw new Error('no entry');
    const diff = { reductionPercent: 42.5 } as Parameters<typeof pullRequestTitle>[1]['diff'];
    expect(pullRequestTitle('{kind} {principal} in {file}: -{reduction}%', { entry, diff })).toBe(
      'role app in policy.json: -42.5%',
    );
  });

  it('makes branch names git accepts from any principal name', () => {
    expect(branchName('iamgen/', 'orders-api-handler')).toBe('iamgen/orders-api-handler');
    expect(branchName('iamgen/', 'svc+deploy@corp,ci=1')).toBe('iamgen/svc-deploy-corp-ci-1');
    expect(branchName('iamgen/', '..weird..name.lock')).toBe('iamgen/weird.name');
  });
});

describe('samples/nightly', () => {
  const dir = join(import.meta.dirname, '..', '..', '..', 'samples', 'nightly');

  it('the example config is valid and uses every safeguard', async () => {
    const text = await readFile(join(dir, 'iamgen.config.yaml'), 'utf8');
    const config = parseConfig(parseYaml(text), 'iamgen.config.yaml');
    expect(config.policies.map((p) => p.name)).toEqual(['orders-api-handler', 'image-processor', 'ci-deployer']);
    expect(config.policies[2]?.safeguards.minObservedDays).toBe(60);
  });

  it('the workflow is scheduled, assumes a role through OIDC and may push and open pull requests', async () => {
    const workflow = parseYaml(await readFile(join(dir, 'iamgen-nightly.yml'), 'utf8'));
    expect(workflow.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(workflow.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', 'id-token': 'write' });
    const steps = workflow.jobs.propose.steps as { uses?: string; run?: string }[];
    expect(steps.some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))).toBe(true);
    expect(steps.some((s) => s.run?.startsWith('iamgen propose --config iamgen.config.yaml'))).toBe(true);
  });
});

describe('GitHub settings and secrets', () => {
  it('reads the variables GitHub Actions sets, and falls back to the origin URL for the repository', () => {
    expect(
      gitHubSettings(
        { GITHUB_TOKEN: 't0ken', GITHUB_API_URL: 'https://ghe.example.com/api/v3/', GITHUB_REPOSITORY: 'acme/infra' },
        undefined,
      ),
    ).toEqual({ token: 't0ken', apiUrl: 'https://ghe.example.com/api/v3', owner: 'acme', repo: 'infra' });
    for (const url of [
      'git@github.com:acme/infra.git',
      'https://github.com/acme/infra',
      'https://x-access-token:abc@github.com/acme/infra.git',
      'ssh://git@ghe.example.com/acme/infra.git',
    ])
      expect(gitHubSettings({ GITHUB_TOKEN: 't' }, url)).toMatchObject({
        apiUrl: 'https://api.github.com',
        owner: 'acme',
        repo: 'infra',
      });
  });

  it('asks for what is missing', () => {
    expect(() => gitHubSettings({}, 'git@github.com:acme/infra.git')).toThrow('set GITHUB_TOKEN');
    expect(() => gitHubSettings({ GITHUB_TOKEN: 't' }, '/srv/git/infra.git')).toThrow('set GITHUB_REPOSITORY');
  });

  it('removes credentials from messages that quote a remote or a secret', () => {
    expect(
      redact(
        'fatal: unable to access https://x-access-token:ghs_abc123@github.com/acme/infra.git/ (token ghs_abc123)',
        ['ghs_abc123'],
      ),
    ).toBe('fatal: unable to access https://***@github.com/acme/infra.git/ (token ***)');
  });
});
