import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkFault } from './github-fake.js';
import { daysAgo, Scenario, spread, token } from './propose-scenario.js';
import { reliability } from './reliability.js';

const account = '123456789012';
const table = `arn:aws:dynamodb:us-east-1:${account}:table`;

/** The orders handler's policy as the platform team wrote it: broad, with one break-glass statement. */
const ordersPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable'],
      Resource: `${table}/*`,
    },
    { Effect: 'Allow', Action: ['sqs:ListQueues', 'sns:ListTopics'], Resource: '*' },
    { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::orders-invoices/*' },
    { Sid: 'KeepBreakGlass', Effect: 'Allow', Action: 'dynamodb:DeleteTable', Resource: `${table}/orders` },
  ],
};

const workerTerraform = `# Worker permissions
resource "aws_iam_role_policy" "worker" {
  name = "worker"
  role = "worker"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["sqs:*"], Resource = "*" }]
  })
}
`;

const ordersUse = (tag: string, from = 40, to = 1) => [
  ...spread(
    { role: 'orders-api-handler', source: 'dynamodb', name: 'GetItem', params: { tableName: 'orders' } },
    8,
    from,
    to,
    `${tag}-get`,
  ),
  ...spread({ role: 'orders-api-handler', source: 'sqs', name: 'ListQueues' }, 4, from, to, `${tag}-list`),
];
const workerUse = (tag: string) =>
  spread({ role: 'worker', source: 'sqs', name: 'ListQueues' }, 12, 45, 1, `${tag}-worker`);

const config = {
  since: '90d',
  labels: ['least-privilege'],
  reviewers: ['alice', 'acme/platform'],
  policies: [
    { role: 'orders-api-handler', file: 'policies/orders.json' },
    { role: 'worker', file: 'infra/worker.tf' },
  ],
};

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

async function estate(configOverrides: Record<string, unknown> = {}) {
  scenario = await Scenario.create([
    {
      files: {
        'policies/orders.json': `${JSON.stringify(ordersPolicy, null, 2)}\n`,
        'infra/worker.tf': workerTerraform,
      },
      daysAgo: 60,
    },
  ]);
  await scenario.writeConfig({ ...config, ...configOverrides });
  await scenario.writeLogs('a.json', [...ordersUse('a'), ...workerUse('a')]);
  return scenario;
}

const ordersFile = 'policies/orders.json';
const ordersBranch = 'iamgen/orders-api-handler';

function statementsOf(text: string | undefined): { Sid?: string; Action: string | string[]; Resource: unknown }[] {
  if (text === undefined) throw new Error('branch missing');
  return JSON.parse(text).Statement;
}
const actionsOf = (text: string | undefined) => statementsOf(text).flatMap((s) => [s.Action].flat());

describe('propose end to end', () => {
  it('opens pull requests, changes nothing on a rerun, and updates the pull request on new activity', async () => {
    const s = await estate();
    const report = join(s.dir, 'report.json');
    const statusBefore = s.git(s.repo, ['status', '--porcelain']);
    const first = await s.run(['--config', 'iamgen.config.yaml', '--report', report]);
    expect(first.stderr).toBe('propose: 2 principals: 2 opened\n');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'role orders-api-handler: opened pull request #1: 5 of 8 grants removed or narrowed (62.5%)',
    );
    expect(first.stdout).toContain('role worker: opened pull request #2');

    // Shrunk to what was used; the break-glass statement and the unverifiable S3 object grant stay as written.
    const orders = s.onOrigin(ordersBranch, ordersFile);
    expect(statementsOf(orders)).toEqual([
      ordersPolicy.Statement[2],
      ordersPolicy.Statement[3],
      { Sid: 'DynamodbOrders', Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [`${table}/orders`] },
      { Sid: 'SqsAll', Effect: 'Allow', Action: ['sqs:ListQueues'], Resource: ['*'] },
    ]);
    const worker = s.onOrigin('iamgen/worker', 'infra/worker.tf') ?? '';
    expect(
      worker.startsWith('# Worker permissions\nresource "aws_iam_role_policy" "worker" {\n  name = "worker"\n'),
    ).toBe(true);
    expect(worker).toContain('"sqs:ListQueues",');
    expect(worker).not.toContain('"sqs:*"');
    // The checkout the job ran in is untouched: proposals are commits on their own branches.
    expect(s.git(s.repo, ['status', '--porcelain'])).toBe(statusBefore);
    expect(s.git(s.repo, ['rev-parse', '--abbrev-ref', 'HEAD']).trim()).toBe('main');

    const [pull] = s.github.pulls;
    expect(pull).toMatchObject({
      title: 'iamgen: least privilege for role orders-api-handler (62.5% fewer grants)',
      head: { ref: ordersBranch },
      base: { ref: 'main' },
      labels: ['least-privilege'],
      reviewers: ['alice'],
      team_reviewers: ['platform'],
    });
    for (const section of [
      '**5 of 8 grants removed or narrowed (62.5% privilege reduction)**',
      '- `dynamodb:PutItem` on `arn:aws:dynamodb:us-east-1:123456789012:table/*`',
      '| `DynamodbOrders` | `dynamodb:GetItem` | 8 |',
      '`KeepBreakGlass` \\(kept: marked to keep\\)',
      'The source holds no data events for `s3`',
      'Data events were seen for `dynamodb`',
      '### How to opt out',
      '"sns:ListTopics"',
    ])
      expect(pull?.body).toContain(section);
    // Evidence names one real event of the logs for each statement built from them.
    expect(pull?.body).toMatch(
      /\| `DynamodbOrders` \| `dynamodb:GetItem` \| 8 \| \d{4}-\d\d-\d\d \| \d{4}-\d\d-\d\d \| `a-get-0` \|/,
    );
    const reportText = await readFile(report, 'utf8');
    expect(JSON.parse(reportText).principals.map((p: { status: string }) => p.status)).toEqual(['opened', 'opened']);
    for (const text of [first.stdout, first.stderr, reportText, pull?.body ?? '']) expect(text).not.toContain(token);

    // Same data again: nothing pushed, no pull request touched.
    const branchesBefore = s.branches();
    const callsBefore = s.github.writes().length;
    const second = await s.run([]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('role orders-api-handler: pull request #1 already proposes this');
    expect(s.branches()).toEqual(branchesBefore);
    expect(s.github.writes()).toHaveLength(callsBefore);

    // New activity: the handler started deleting items, so the proposal keeps DeleteItem on the table it used.
    await s.writeLogs(
      'b.json',
      spread(
        { role: 'orders-api-handler', source: 'dynamodb', name: 'DeleteItem', params: { tableName: 'orders' } },
        3,
        5,
        1,
        'b',
      ),
    );
    const third = await s.run([]);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain(
      'role orders-api-handler: updated pull request #1: 5 of 8 grants removed or narrowed (62.5%)',
    );
    expect(third.stdout).toContain('role worker: pull request #2 already proposes this');
    expect(actionsOf(s.onOrigin(ordersBranch, ordersFile))).toContain('dynamodb:DeleteItem');
    expect(s.github.pulls).toHaveLength(2);
    // DeleteItem moved from "removed" to "narrowed": same share, new evidence.
    expect(s.github.pulls[0]?.body).toContain('| `DynamodbOrders` | `dynamodb:DeleteItem, dynamodb:GetItem` | 11 |');
    expect(
      s.github
        .writes()
        .slice(callsBefore)
        .map((c) => `${c.method} ${c.path}`),
    ).toEqual(['PATCH /repos/acme/infra/pulls/1']);
  });

  it('--dry-run prints the proposals and writes nothing, without a token', async () => {
    const s = await estate({ cache: '../cache' });
    const result = await s.run(['--dry-run'], { GITHUB_TOKEN: undefined });
    // The read went through the per-file cache the config names (relative to the config file).
    expect((await readdir(join(s.dir, 'cache'))).length).toBeGreaterThan(0);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'role orders-api-handler: would push iamgen/orders-api-handler and open or update its pull request',
    );
    expect(result.stdout).toContain('privilege: 5 of 8 current grants removed or narrowed');
    expect(s.branches()).toEqual([`main ${s.git(s.repo, ['rev-parse', 'HEAD']).trim()}`]);
    expect(s.github.calls).toHaveLength(0);
    const withoutToken = await s.run([], { GITHUB_TOKEN: undefined });
    expect(withoutToken).toMatchObject({
      code: 2,
      stderr: 'iamgen: set GITHUB_TOKEN to open pull requests (or run with --dry-run)\n',
    });
  });

  it('a failing principal does not stop the others; the exit code and summary name it', async () => {
    const s = await estate({
      policies: [
        { role: 'ghost', file: 'policies/missing.json' },
        { role: 'worker', file: 'infra/worker.tf', resource: 'aws_iam_policy.nope' },
        { role: 'orders-api-handler', file: 'policies/orders.json' },
      ],
    });
    const result = await s.run([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('role ghost: failed: policies/missing.json: not found on main');
    expect(result.stdout).toContain(
      'role worker: failed: infra/worker.tf: unsupported: no resource aws_iam_policy.nope in the file',
    );
    expect(result.stdout).toContain('role orders-api-handler: opened pull request #1');
    expect(result.stderr).toContain('iamgen: 2 of 3 failed: ghost, worker');
    expect(s.onOrigin('iamgen/worker', 'infra/worker.tf')).toBeUndefined();
  });

  it(
    '[reliability] GitHub answering 502 on every attempt fails that principal only, its message carries no token',
    reliability({
      area: 'fault',
      fault: 'GitHub 502 on every attempt (creating a pull request)',
      produced: 'fake GitHub API answers 502 to every POST',
      expected:
        'bounded retries, then one line naming the principal and the GitHub call; the others go on; exit 1; no token printed',
    }),
    async () => {
      const s = await estate();
      s.github.failNext = { method: 'POST', status: 502, times: 3 };
      const result = await s.run([]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^role orders-api-handler: failed: GitHub creating a pull request \(502 after 3 attempts\): Server Error$/m,
      );
      expect(result.stdout).toContain('role worker: opened pull request');
      expect(result.stderr).toContain('iamgen: 1 of 2 failed: orders-api-handler');
      expect(`${result.stdout}${result.stderr}`).not.toContain(token);
      // The branch was pushed; the next run opens the missing pull request without pushing again.
      const before = s.branches();
      const retry = await s.run(['--only', 'orders-api-handler']);
      expect(retry.stdout).toContain('role orders-api-handler: opened pull request #2');
      expect(s.branches()).toEqual(before);
    },
  );

  describe('GitHub faults that pass are retried, and the run is the undisturbed one', () => {
    let undisturbed: { result: unknown; pulls: unknown; orders: string | undefined } | undefined;
    const outcome = async (fault?: { method: string; status: number | NetworkFault; times: number }) => {
      const s = await estate();
      s.github.failNext = fault;
      const result = await s.run([]);
      // Each scenario has its own folder, which pull request bodies name.
      const pulls = JSON.parse(JSON.stringify(s.github.pulls).replaceAll(s.dir, '<dir>'));
      return { s, outcome: { result, pulls, orders: s.onOrigin(ordersBranch, ordersFile) } };
    };
    const rows: [string, string, number | NetworkFault, string][] = [
      ['500', 'POST', 500, 'answers 500 to creating a pull request twice'],
      ['502', 'POST', 502, 'answers 502 to creating a pull request twice'],
      ['503', 'GET', 503, 'answers 503 to listing pull requests twice'],
      ['rate limit (403)', 'GET', 'rate-limit', 'answers 403 with x-ratelimit-remaining: 0 to listing twice'],
      ['secondary rate limit (429)', 'POST', 'secondary-limit', 'answers 429 with retry-after to creating twice'],
      ['hang', 'GET', 'hang', 'leaves listing pull requests unanswered twice, past the request timeout'],
      ['connection reset', 'POST', 'reset', 'destroys the socket of creating a pull request twice'],
      ['reset mid-body', 'GET', 'cut-body', 'sends half the listing, then destroys the socket, twice'],
    ];
    for (const [name, method, status, produced] of rows)
      it(
        `[reliability] GitHub ${name} twice, then answering: retried, same pull requests`,
        reliability({
          area: 'fault',
          fault: `GitHub ${name}, twice`,
          produced: `fake GitHub API ${produced}`,
          expected: 'retried with backoff; exit 0; the same output and pull requests as an undisturbed run',
        }),
        async () => {
          undisturbed ??= (await outcome()).outcome;
          await scenario?.close();
          const { s, outcome: disturbed } = await outcome({ method, status, times: 2 });
          expect(s.github.faulted).toHaveLength(2);
          expect(disturbed).toEqual(undisturbed);
        },
      );
  });

  it(
    '[reliability] GitHub hanging or resetting on every attempt: bounded, one line, exit 1',
    reliability({
      area: 'fault',
      fault: 'GitHub unanswered past the timeout, or connection reset, on every attempt',
      produced: 'fake GitHub API never answers listing pull requests / destroys every socket of creating one',
      expected:
        'each attempt ends at the request timeout; after the attempts one line naming the principal and call; exit 1',
    }),
    async () => {
      const s = await estate({ policies: [config.policies[0]] });
      s.github.failNext = { method: 'GET', status: 'hang', times: 3 };
      const hung = await s.run([]);
      expect(hung.code).toBe(1);
      expect(hung.stdout).toMatch(
        /^role orders-api-handler: failed: GitHub listing pull requests \(after 3 attempts\): .*timeout/m,
      );
      s.github.failNext = { method: 'POST', status: 'reset', times: 3 };
      const reset = await s.run([]);
      expect(reset.code).toBe(1);
      expect(reset.stdout).toMatch(
        /^role orders-api-handler: failed: GitHub creating a pull request \(after 3 attempts\): other side closed$/m,
      );
      expect(s.github.faulted).toHaveLength(6);
      expect(s.github.pulls).toHaveLength(0);
      expect(`${hung.stdout}${hung.stderr}${reset.stdout}${reset.stderr}`).not.toContain(token);
    },
  );

  it('a reviewer GitHub refuses is a note on the opened pull request, not a failure', async () => {
    const s = await estate({
      reviewers: ['nobody-here'],
      policies: [{ role: 'orders-api-handler', file: ordersFile }],
    });
    const result = await s.run([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /role orders-api-handler: opened pull request #1: .*; GitHub requesting reviews on #1 \(422\): Reviews may only be requested from collaborators/,
    );
    expect(s.github.pulls[0]?.labels).toEqual(['least-privilege']);
  });

  it('a closed proposal is not reopened while it stays the same', async () => {
    const s = await estate();
    await s.run(['--only', 'orders-api-handler']);
    const pull = s.github.pulls[0];
    if (pull !== undefined) pull.state = 'closed';
    const result = await s.run(['--only', 'orders-api-handler']);
    expect(result.stdout).toContain('pull request #1 with this proposal was closed; not reopened');
    expect(s.github.pulls).toHaveLength(1);
  });

  it("a reviewer's commit on the proposal branch holds it back instead of being overwritten", async () => {
    const s = await estate();
    await s.run(['--only', 'orders-api-handler']);
    // A reviewer adds a commit on the branch of pull request #1.
    const work = join(s.dir, 'reviewer');
    s.git(s.dir, ['clone', '--quiet', '--branch', ordersBranch, join(s.dir, 'origin.git'), work]);
    await writeFile(join(work, 'NOTES.md'), 'kept on purpose\n');
    s.git(work, ['add', '-A']);
    s.git(work, ['-c', 'user.name=Reviewer', '-c', 'user.email=r@example.com', 'commit', '--quiet', '-m', 'notes']);
    s.git(work, ['push', '--quiet', 'origin', ordersBranch]);
    const reviewed = s.git(join(s.dir, 'origin.git'), ['rev-parse', `refs/heads/${ordersBranch}`]).trim();
    // New activity changes the proposal, which would otherwise be pushed over the reviewer's commit.
    await s.writeLogs(
      'b.json',
      spread(
        { role: 'orders-api-handler', source: 'dynamodb', name: 'DeleteItem', params: { tableName: 'orders' } },
        3,
        5,
        1,
        'b',
      ),
    );
    const result = await s.run(['--only', 'orders-api-handler']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `role orders-api-handler: held back: ${ordersBranch} holds commits propose did not make (a reviewer's?)`,
    );
    expect(s.git(join(s.dir, 'origin.git'), ['rev-parse', `refs/heads/${ordersBranch}`]).trim()).toBe(reviewed);
  });

  it('a closed proposal is not reopened after its branch was deleted either', async () => {
    const s = await estate();
    await s.run(['--only', 'orders-api-handler']);
    const pull = s.github.pulls[0];
    if (pull !== undefined) pull.state = 'closed';
    // What GitHub's "Delete branch" button does once a pull request is closed.
    s.git(join(s.dir, 'origin.git'), ['update-ref', '-d', `refs/heads/${ordersBranch}`]);
    const result = await s.run(['--only', 'orders-api-handler']);
    expect(result.stdout).toContain('pull request #1 with this proposal was closed; not reopened');
    expect(s.github.pulls).toHaveLength(1);
    expect(s.onOrigin(ordersBranch, ordersFile)).toBeUndefined();
  });

  it('edits the chosen inline policy of a CloudFormation template, leaving the rest of the file as it was', async () => {
    const template = `# Orders stack
Resources:
  OrdersRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: orders-api-handler # keep
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Statement:
              - { Effect: Allow, Action: 'logs:*', Resource: '*' }
        - PolicyName: data
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: ['dynamodb:GetItem', 'dynamodb:Scan', 'sqs:ListQueues']
                Resource: '*'
  Queue:
    Type: AWS::SQS::Queue # untouched
`;
    scenario = await Scenario.create([{ files: { 'stack/template.yaml': template }, daysAgo: 60 }]);
    const s = scenario;
    await s.writeConfig({
      policies: [
        { role: 'orders-api-handler', file: 'stack/template.yaml', resource: 'OrdersRole', policyName: 'data' },
      ],
    });
    await s.writeLogs('a.json', ordersUse('cfn'));
    const result = await s.run([]);
    expect(result.stdout).toContain('role orders-api-handler: opened pull request #1');
    const edited = s.onOrigin(ordersBranch, 'stack/template.yaml') ?? '';
    // Everything before the data policy's document and after it is byte for byte the same.
    expect(edited.startsWith(template.slice(0, template.indexOf("            Version: '2012-10-17'")))).toBe(true);
    expect(edited.endsWith(template.slice(template.indexOf('  Queue:')))).toBe(true);
    expect(edited).toContain(`            Statement:
              - Sid: DynamodbOrders
                Effect: Allow
                Action:
                  - dynamodb:GetItem
                Resource:
                  - ${table}/orders
`);
    expect(edited).not.toContain('dynamodb:Scan');
  });

  it('closes its open pull request once the base branch has nothing left to remove', async () => {
    const s = await estate({ policies: [{ role: 'orders-api-handler', file: ordersFile }] });
    await s.run([]);
    // The proposal is applied by hand on main; the pull request is still open.
    await s.commit({ files: { [ordersFile]: s.onOrigin(ordersBranch, ordersFile) ?? '' }, daysAgo: 30 });
    const result = await s.run([]);
    expect(result.stdout).toContain(
      'role orders-api-handler: closed pull request #1: every grant of the file was used',
    );
    expect(s.github.pulls[0]).toMatchObject({
      state: 'closed',
      comments: [expect.stringContaining('no longer proposes')],
    });
    const again = await s.run([]);
    expect(again.stdout).toContain('role orders-api-handler: no change:');
  });

  it('reports config mistakes by key, with exit code 2', async () => {
    const s = await estate({ safeguards: { minObservedDay: 3 }, policies: [{ role: 'x' }] });
    const result = await s.run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'iamgen: iamgen.config.yaml: policies[0].file: is required; safeguards: unknown key "minObservedDay"\n',
    );
  });
});

describe('safeguards hold changes back', () => {
  const ordersOnly = [{ role: 'orders-api-handler', file: 'policies/orders.json' }];

  it('minObservedDays: a principal first seen recently is skipped', async () => {
    const s = await estate({ policies: ordersOnly });
    await s.writeLogs('a.json', ordersUse('young', 5, 1));
    const held = await s.run([]);
    expect(held.stdout).toMatch(
      /role orders-api-handler: held back: first event \S+ is less than minObservedDays 30 ago/,
    );
    expect(held.code).toBe(0);
    expect(s.onOrigin(ordersBranch, ordersFile)).toBeUndefined();
    await s.writeConfig({ policies: [{ ...ordersOnly[0], safeguards: { minObservedDays: 3 } }] });
    expect((await s.run([])).stdout).toContain('opened pull request #1');
  });

  it('minEvents: too few events is skipped', async () => {
    const s = await estate({ policies: ordersOnly, safeguards: { minEvents: 13 } });
    const held = await s.run([]);
    expect(held.stdout).toContain(
      'role orders-api-handler: held back: 12 events in the window, fewer than minEvents 13',
    );
    expect(s.onOrigin(ordersBranch, ordersFile)).toBeUndefined();
  });

  it('maxDataAgeDays: stale logs refuse the run', async () => {
    const s = await estate();
    await s.writeLogs('a.json', [
      ...ordersUse('old', 60, 10),
      ...spread({ role: 'worker', source: 'sqs', name: 'ListQueues' }, 12, 60, 12, 'old-worker'),
    ]);
    const refused = await s.run([]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /role orders-api-handler: held back: newest event read is \S+, older than maxDataAgeDays 3/,
    );
    expect(refused.stderr).toContain('the trail looks broken, so nothing was proposed');
    expect(s.branches()).toHaveLength(1);
    await s.writeConfig({ ...config, safeguards: { maxDataAgeDays: 15 } });
    expect((await s.run([])).code).toBe(0);
    expect(s.branches()).toHaveLength(3);
  });

  it('maxDataAgeDays: a log file delivered recently shows the trail is alive, whoever its events belong to', async () => {
    const s = await estate();
    await s.writeLogs('a.json', [
      ...ordersUse('old', 60, 10),
      ...spread({ role: 'worker', source: 'sqs', name: 'ListQueues' }, 12, 60, 12, 'old-worker'),
    ]);
    // A principal outside the config, in a file named as CloudTrail names its deliveries: its records are skipped
    // unread, but the file's name says when it was delivered.
    const stamp = daysAgo(0.1)
      .replace(/[-:]/g, '')
      .replace(/\d{2}Z$/, 'Z');
    await s.writeLogs(`${account}_CloudTrail_us-east-1_${stamp}_fresh.json`, [
      ...spread({ role: 'nightly-report', source: 'sqs', name: 'ListQueues' }, 1, 0.1, 0.1, 'fresh'),
    ]);
    const run = await s.run([]);
    expect(run.stdout).not.toContain('maxDataAgeDays');
    expect(run.code).toBe(0);
    expect(s.branches()).toHaveLength(3);
  });

  it(
    '[reliability] propose over logs with an unreadable file: nothing removed, run refused',
    reliability({
      area: 'propose',
      fault: 'a log file of the window that cannot be decompressed, a record that is not JSON',
      produced: 'a .json.gz holding no gzip and a .jsonl line of garbage among the logs of a nightly run',
      expected:
        'each named in a warning; every principal held back (maxUnreadableInputs 0), exit 1, no branch pushed; accepted once maxUnreadableInputs tolerates them',
    }),
    async () => {
      const s = await estate();
      await writeFile(join(s.logs, 'broken.json.gz'), 'not gzip');
      await writeFile(join(s.logs, 'lines.jsonl'), 'not json\n');
      const refused = await s.run([]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^warning: \S*broken\.json\.gz: cannot decompress/m);
      expect(refused.stderr).toMatch(/^warning: \S*lines\.jsonl line 1: /m);
      expect(refused.stdout).toContain(
        'role orders-api-handler: held back: 2 log files or records could not be read, more than maxUnreadableInputs 0',
      );
      expect(refused.stderr).toContain('so nothing was proposed');
      expect(s.branches()).toHaveLength(1);
      await s.writeConfig({ ...config, safeguards: { maxUnreadableInputs: 2 } });
      expect((await s.run([])).code).toBe(0);
      expect(s.branches()).toHaveLength(3);
    },
  );

  it('keepSidPattern: marked statements are carried over untouched', async () => {
    const s = await estate({ policies: ordersOnly });
    await s.run([]);
    expect(statementsOf(s.onOrigin(ordersBranch, ordersFile))).toContainEqual(ordersPolicy.Statement[3]);
    await s.writeConfig({ policies: ordersOnly, safeguards: { keepSidPattern: '^Retain' } });
    await s.run([]);
    expect(actionsOf(s.onOrigin(ordersBranch, ordersFile))).not.toContain('dynamodb:DeleteTable');
  });

  it('data events: object grants are kept while the source holds no S3 data events, narrowed once it does', async () => {
    const s = await estate({ policies: ordersOnly });
    await s.run([]);
    expect(statementsOf(s.onOrigin(ordersBranch, ordersFile))).toContainEqual(ordersPolicy.Statement[2]);
    await s.writeLogs(
      'c.json',
      spread(
        {
          role: 'orders-api-handler',
          source: 's3',
          name: 'GetObject',
          params: { bucketName: 'orders-invoices', key: 'inv/1.pdf' },
          data: true,
        },
        2,
        20,
        2,
        'c',
      ),
    );
    await s.run([]);
    const statements = statementsOf(s.onOrigin(ordersBranch, ordersFile));
    expect(statements).not.toContainEqual(ordersPolicy.Statement[2]);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::orders-invoices/inv/1.pdf'] }),
    );
  });

  it('graceDays: grants added to the file recently are kept', async () => {
    const s = await estate({ policies: ordersOnly });
    const widened = {
      ...ordersPolicy,
      Statement: [...ordersPolicy.Statement, { Effect: 'Allow', Action: 'kms:ListAliases', Resource: '*' }],
    };
    await s.commit({ files: { [ordersFile]: `${JSON.stringify(widened, null, 2)}\n` }, daysAgo: 2, message: 'kms' });
    await s.run([]);
    expect(statementsOf(s.onOrigin(ordersBranch, ordersFile))).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:ListAliases',
      Resource: '*',
    });
    await s.writeConfig({ policies: ordersOnly, safeguards: { graceDays: 1 } });
    await s.run([]);
    expect(actionsOf(s.onOrigin(ordersBranch, ordersFile))).not.toContain('kms:ListAliases');
  });
});
