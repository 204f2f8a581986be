import { describe, expect, it } from 'vitest';
import { AccessSet } from './access-set.js';

const resources = (set: AccessSet) => set.entries().map((entry) => entry.access.resource);

describe('AccessSet.entries', () => {
  it('stays in order as accesses are added and sets merged after a read', () => {
    const set = new AccessSet();
    set.add({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/m' });
    set.add({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/a' });
    expect(resources(set)).toEqual(['arn:aws:s3:::b/a', 'arn:aws:s3:::b/m']);
    set.add({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/c' });
    expect(resources(set)).toEqual(['arn:aws:s3:::b/a', 'arn:aws:s3:::b/c', 'arn:aws:s3:::b/m']);
    const other = new AccessSet();
    other.add({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/b' });
    other.add({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/m' }, { count: 4 });
    set.merge(other.state());
    expect(resources(set)).toEqual(['arn:aws:s3:::b/a', 'arn:aws:s3:::b/b', 'arn:aws:s3:::b/c', 'arn:aws:s3:::b/m']);
    expect(set.entries().at(-1)?.count).toBe(5);
  });

  it('gives a list of its own to each caller', () => {
    const set = new AccessSet();
    set.add({ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:1:q' });
    set.entries().pop();
    expect(set.size).toBe(1);
    expect(set.entries()).toHaveLength(1);
  });
});
