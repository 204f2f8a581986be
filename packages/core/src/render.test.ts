import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from './policy-document.js';
import { cloudFormationTemplate, renderJson, renderTerraform } from './render.js';

const document: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AllowS3', Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/${aws:username}/*'] },
  ],
};
const target = { principalName: 'orders-api-handler', principalKind: 'role' as const };

describe('renderers', () => {
  it('writes JSON with two-space indent and a trailing newline', () => {
    expect(renderJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}\n');
  });

  it('writes Terraform that keeps IAM policy variables literal', () => {
    const text = renderTerraform([document], target);
    expect(text).toContain('resource "aws_iam_policy" "orders_api_handler_policy" {');
    expect(text).toContain('"arn:aws:s3:::b/$${aws:username}/*"');
    expect(text).toContain('resource "aws_iam_role_policy_attachment" "orders_api_handler_policy" {');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('numbers CloudFormation resources when a policy was split', () => {
    const template = cloudFormationTemplate([document, document], target);
    expect(Object.keys(template.Resources as object)).toEqual(['OrdersApiHandlerPolicy1', 'OrdersApiHandlerPolicy2']);
  });
});
