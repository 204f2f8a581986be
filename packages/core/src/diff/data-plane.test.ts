import { describe, expect, it } from 'vitest';
import { dataEventServicesOf, isDataPlaneAction } from './data-plane.js';

describe('isDataPlaneAction', () => {
  it.each([
    ['s3:GetObject', true],
    ['s3:PutObjectTagging', true],
    // ListObjects(V2), ListObjectVersions and ListMultipartUploads are logged only as data events.
    ['s3:ListBucket', true],
    ['s3:ListBucketVersions', true],
    ['s3:ListBucketMultipartUploads', true],
    ['s3:ListMultipartUploadParts', true],
    // ListBuckets and the bucket's own settings are management events.
    ['s3:ListAllMyBuckets', false],
    ['s3:GetBucketAcl', false],
    ['dynamodb:GetItem', true],
    ['dynamodb:DescribeTable', false],
    ['lambda:InvokeFunction', true],
    ['lambda:GetFunction', false],
  ])('%s → %s', (action, expected) => {
    expect(isDataPlaneAction(action)).toBe(expected);
  });
});

describe('dataEventServicesOf', () => {
  it('names the services of the data-plane actions only', () => {
    const services = dataEventServicesOf([
      { action: 's3:GetObject' },
      { action: 's3:ListAllMyBuckets' },
      { action: 'dynamodb:DescribeTable' },
      { action: 'lambda:InvokeFunction' },
    ]);
    expect([...services].sort()).toEqual(['lambda', 's3']);
  });
});
