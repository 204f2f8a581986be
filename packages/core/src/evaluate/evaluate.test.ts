import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyStatement } from '../policy-document.js';
import { evaluate } from './evaluate.js';
import type { AccessRequest } from './request.js';

const policy = (...statements: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });
const allow = (
  Action: string | string[],
  Resource: string | string[],
  Condition?: PolicyStatement['Condition'],
): PolicyStatement =>
  Condition === undefined ? { Effect: 'Allow', Action, Resource } : { Effect: 'Allow', Action, Resource, Condition };

describe('evaluate: actions and resources', () => {
  it.each<[string, PolicyStatement, AccessRequest, string]>([
    [
      'exact action and ARN',
      allow('s3:GetObject', 'arn:aws:s3:::b/k'),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' },
      'allow',
    ],
    [
      'actions are case-insensitive',
      allow('S3:getobject', 'arn:aws:s3:::b/k'),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' },
      'allow',
    ],
    [
      'ARNs are case-sensitive',
      allow('s3:GetObject', 'arn:aws:s3:::B/k'),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' },
      'implicit-deny',
    ],
    ['* in actions', allow('s3:Get*', '*'), { action: 's3:GetObjectAcl', resource: 'arn:aws:s3:::b/k' }, 'allow'],
    [
      '? in actions matches one character',
      allow('s3:GetObjec?', '*'),
      { action: 's3:GetObject', resource: 'x' },
      'allow',
    ],
    ['? does not match two', allow('s3:GetObj?', '*'), { action: 's3:GetObject', resource: 'x' }, 'implicit-deny'],
    [
      '* in ARNs spans slashes',
      allow('s3:GetObject', 'arn:aws:s3:::b/*'),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/a/b/c' },
      'allow',
    ],
    [
      '? in ARNs',
      allow('secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:1:secret:db-??????'),
      { action: 'secretsmanager:GetSecretValue', resource: 'arn:aws:secretsmanager:us-east-1:1:secret:db-a1b2c3' },
      'allow',
    ],
    [
      'NotAction allows everything else',
      { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
      { action: 's3:GetObject', resource: 'x' },
      'allow',
    ],
    [
      'NotAction excludes its actions',
      { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
      { action: 'iam:CreateUser', resource: 'x' },
      'implicit-deny',
    ],
    [
      'NotResource allows other resources',
      { Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::secret/*' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::public/k' },
      'allow',
    ],
    [
      'NotResource excludes its resources',
      { Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::secret/*' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::secret/k' },
      'implicit-deny',
    ],
    [
      'policy variable supplied',
      allow('s3:GetObject', 'arn:aws:s3:::home/${aws:username}/*'),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::home/alice/x', context: { 'aws:username': 'alice' } },
      'allow',
    ],
    [
      'policy variable not supplied never matches',
      allow('s3:GetObject', 'arn:aws:s3:::home/${aws:username}/*'),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::home/${aws:username}/x' },
      'implicit-deny',
    ],
    [
      'policy variable default',
      allow('s3:GetObject', "arn:aws:s3:::home/${aws:username, 'shared'}/*"),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::home/shared/x' },
      'allow',
    ],
    [
      '${*} is a literal asterisk',
      allow('s3:GetObject', 'arn:aws:s3:::b/${*}'),
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/anything' },
      'implicit-deny',
    ],
  ])('%s', (_, statement, request, decision) => {
    expect(evaluate([policy(statement)], request).decision).toBe(decision);
  });

  it('an explicit Deny beats an Allow', () => {
    const result = evaluate(
      [policy(allow('s3:*', '*')), policy({ Sid: 'NoDeletes', Effect: 'Deny', Action: 's3:Delete*', Resource: '*' })],
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/k' },
    );
    expect(result).toEqual({ decision: 'explicit-deny', matched: ['NoDeletes'], problems: [] });
  });
});

describe('evaluate: conditions', () => {
  const request = (context: Record<string, string | string[]>): AccessRequest => ({
    action: 'kms:Decrypt',
    resource: 'k',
    context,
  });
  it.each<[string, PolicyStatement['Condition'], Record<string, string | string[]>, boolean]>([
    [
      'StringEquals',
      { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
      true,
    ],
    [
      'StringEquals, any of several values',
      { StringEquals: { 'kms:ViaService': ['sqs.x', 's3.x'] } },
      { 'kms:ViaService': 's3.x' },
      true,
    ],
    ['StringEquals with the key absent', { StringEquals: { 'kms:ViaService': 's3.x' } }, {}, false],
    [
      'condition keys are case-insensitive',
      { StringEquals: { 'KMS:VIASERVICE': 's3.x' } },
      { 'kms:ViaService': 's3.x' },
      true,
    ],
    [
      'StringNotEquals',
      { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } },
      { 'aws:RequestedRegion': 'ap-south-1' },
      true,
    ],
    ['StringNotEquals with the key absent', { StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } }, {}, true],
    [
      'StringEqualsIgnoreCase',
      { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Blue' } },
      { 'aws:PrincipalTag/team': 'blue' },
      true,
    ],
    [
      'StringNotEqualsIgnoreCase',
      { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Blue' } },
      { 'aws:PrincipalTag/team': 'BLUE' },
      false,
    ],
    ['StringLike', { StringLike: { 's3:prefix': ['home/*'] } }, { 's3:prefix': 'home/alice' }, true],
    ['StringNotLike', { StringNotLike: { 's3:prefix': 'home/*' } }, { 's3:prefix': 'public/x' }, true],
    [
      'StringLike with a policy variable',
      { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
      { 's3:prefix': 'home/bob/x', 'aws:username': 'bob' },
      true,
    ],
    ['NumericLessThan', { NumericLessThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '5' }, true],
    [
      'NumericGreaterThanEquals',
      { NumericGreaterThanEquals: { 'aws:MultiFactorAuthAge': '3600' } },
      { 'aws:MultiFactorAuthAge': '60' },
      false,
    ],
    ['NumericEquals with a non-number', { NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': 'ten' }, false],
    ['NumericNotEquals', { NumericNotEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '11' }, true],
    ['NumericLessThanEquals', { NumericLessThanEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }, true],
    ['NumericGreaterThan', { NumericGreaterThan: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }, false],
    [
      'DateLessThan',
      { DateLessThan: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } },
      { 'aws:CurrentTime': '2024-05-01T00:00:00Z' },
      true,
    ],
    [
      'DateGreaterThan with epoch seconds',
      { DateGreaterThan: { 'aws:EpochTime': '1700000000' } },
      { 'aws:EpochTime': '1800000000' },
      true,
    ],
    [
      'DateEquals',
      { DateEquals: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } },
      { 'aws:CurrentTime': '2024-06-01T00:00:00.000Z' },
      true,
    ],
    [
      'DateNotEquals',
      { DateNotEquals: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } },
      { 'aws:CurrentTime': '2024-06-02T00:00:00Z' },
      true,
    ],
    [
      'DateLessThanEquals',
      { DateLessThanEquals: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } },
      { 'aws:CurrentTime': '2024-06-01T00:00:00Z' },
      true,
    ],
    [
      'DateGreaterThanEquals',
      { DateGreaterThanEquals: { 'aws:CurrentTime': '2024-06-01T00:00:00Z' } },
      { 'aws:CurrentTime': '2024-05-01T00:00:00Z' },
      false,
    ],
    ['Bool', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'TRUE' }, true],
    [
      'Bool false',
      { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      { 'aws:MultiFactorAuthPresent': 'false' },
      false,
    ],
    ['BinaryEquals', { BinaryEquals: { 'k:bin': 'QmluYXJ5' } }, { 'k:bin': 'QmluYXJ5' }, true],
    [
      'IpAddress IPv4 CIDR',
      { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      { 'aws:SourceIp': '203.0.113.77' },
      true,
    ],
    [
      'IpAddress outside',
      { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
      { 'aws:SourceIp': '198.51.100.1' },
      false,
    ],
    [
      'IpAddress IPv6 CIDR',
      { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } },
      { 'aws:SourceIp': '2001:db8:85a3::8a2e:370:7334' },
      true,
    ],
    [
      'NotIpAddress',
      { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } },
      { 'aws:SourceIp': '192.0.2.1' },
      true,
    ],
    [
      'ArnEquals',
      { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:1:topic' } },
      { 'aws:SourceArn': 'arn:aws:sns:us-east-1:1:topic' },
      true,
    ],
    [
      'ArnLike',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::logs-*' } },
      { 'aws:SourceArn': 'arn:aws:s3:::logs-prod' },
      true,
    ],
    [
      'ArnNotEquals',
      { ArnNotEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:1:topic' } },
      { 'aws:SourceArn': 'arn:aws:sns:us-east-1:1:other' },
      true,
    ],
    [
      'ArnNotLike',
      { ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::logs-*' } },
      { 'aws:SourceArn': 'arn:aws:s3:::logs-prod' },
      false,
    ],
    ['Null true: key must be absent', { Null: { 'aws:TokenIssueTime': 'true' } }, {}, true],
    ['Null false: key must be present', { Null: { 'aws:TokenIssueTime': 'false' } }, {}, false],
    ['...IfExists with the key absent', { StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, {}, true],
    [
      '...IfExists with the key present',
      { StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } },
      { 'ec2:InstanceType': 'm5.large' },
      false,
    ],
    [
      'ForAnyValue: one request value matches',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } },
      { 'aws:TagKeys': ['cost', 'team'] },
      true,
    ],
    ['ForAnyValue: key absent', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'env' } }, {}, false],
    [
      'ForAllValues: every request value is allowed',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } },
      { 'aws:TagKeys': ['env', 'team'] },
      true,
    ],
    [
      'ForAllValues: one value outside',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } },
      { 'aws:TagKeys': ['env', 'cost'] },
      false,
    ],
    [
      'ForAllValues: key absent is vacuously true',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } },
      {},
      true,
    ],
    ['several keys must all hold', { StringEquals: { 'a:x': '1', 'a:y': '2' } }, { 'a:x': '1', 'a:y': '3' }, false],
    [
      'several operators must all hold',
      { StringEquals: { 'a:x': '1' }, Bool: { 'a:b': 'true' } },
      { 'a:x': '1', 'a:b': 'true' },
      true,
    ],
  ])('%s', (_, Condition, context, allowed) => {
    expect(evaluate([policy(allow('kms:Decrypt', 'k', Condition))], request(context)).decision).toBe(
      allowed ? 'allow' : 'implicit-deny',
    );
  });

  it('reports an unknown operator as a problem and does not allow', () => {
    const result = evaluate(
      [policy({ Sid: 'Odd', ...allow('kms:Decrypt', 'k', { StringSortOf: { 'a:x': '1' } }) })],
      request({ 'a:x': '1' }),
    );
    expect(result).toEqual({
      decision: 'implicit-deny',
      matched: [],
      problems: ['Odd: unknown condition operator StringSortOf'],
    });
  });
});

describe('evaluate: laws (property)', () => {
  const actions = ['s3:GetObject', 's3:PutObject', 'sqs:SendMessage', 'kms:Decrypt', 'iam:PassRole'];
  const resources = ['*', 'arn:aws:s3:::b/k', 'arn:aws:s3:::b/*', 'arn:aws:sqs:us-east-1:1:q', 'arn:aws:iam::1:role/r'];
  const statement = fc.record({
    Effect: fc.constantFrom('Allow' as const, 'Deny' as const),
    Action: fc.array(fc.constantFrom(...actions, 's3:*', '*', 's3:Get*'), { minLength: 1, maxLength: 3 }),
    Resource: fc.array(fc.constantFrom(...resources), { minLength: 1, maxLength: 3 }),
  });
  const request = fc.record({
    action: fc.constantFrom(...actions),
    resource: fc.constantFrom(
      'arn:aws:s3:::b/k',
      'arn:aws:sqs:us-east-1:1:q',
      'arn:aws:iam::1:role/r',
      'arn:aws:s3:::c/k',
    ),
  });

  it('adding an Allow statement never turns an allow into a deny', () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 5 }), statement, request, (statements, extra, req) => {
        const before = evaluate([policy(...statements)], req).decision;
        const after = evaluate([policy(...statements, { ...extra, Effect: 'Allow' })], req).decision;
        if (before === 'allow') expect(after).toBe('allow');
      }),
    );
  });

  it('a matching explicit Deny always wins', () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 5 }), request, (statements, req) => {
        const denied = evaluate(
          [policy(...statements, { Effect: 'Deny', Action: req.action, Resource: req.resource })],
          req,
        );
        expect(denied.decision).toBe('explicit-deny');
      }),
    );
  });
});
