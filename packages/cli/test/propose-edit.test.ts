import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from '@iamgen/core';
import { describe, expect, it } from 'vitest';
import { isUnsupported, locatePolicy } from '../src/propose/edit/policy-file.js';

const root = join(import.meta.dirname, 'fixtures', 'propose-edit');
const next = JSON.parse(readFileSync(join(root, 'next-policy.json'), 'utf8')) as PolicyDocument;
const cases = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
/** Policies that are inline in a role, user or group (their size limit differs from a managed policy's). */
const inlineCases = new Set(['cfn-yaml-role-inline', 'cfn-json-role-policy', 'sam-function', 'tf-heredoc']);
/** Set UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change; review the diff before committing. */
const update = process.env.UPDATE_GOLDEN === '1';

function load(name: string) {
  const dir = join(root, name);
  const input = readdirSync(dir).find((file) => file.startsWith('input.'));
  if (input === undefined) throw new Error(`${name}: no input file`);
  const target = existsSync(join(dir, 'target.json')) ? JSON.parse(readFileSync(join(dir, 'target.json'), 'utf8')) : {};
  return { dir, input, text: readFileSync(join(dir, input), 'utf8'), target };
}

describe('editing a policy in place (golden files)', () => {
  for (const name of cases) {
    it(name, () => {
      const { dir, input, text, target } = load(name);
      const located = locatePolicy(text, input, target);
      if (name.startsWith('unsupported-')) {
        expect(isUnsupported(located) ? located.unsupported : 'located').toContain(
          readFileSync(join(dir, 'unsupported.txt'), 'utf8').trim(),
        );
        return;
      }
      if (isUnsupported(located)) throw new Error(located.unsupported);
      expect(located.inline).toBe(inlineCases.has(name));
      const expectedPath = join(dir, `expected${input.slice(input.indexOf('.'))}`);
      const currentPath = join(dir, 'current.json');
      const rewritten = located.rewrite(next);
      if (update) {
        writeFileSync(expectedPath, rewritten);
        writeFileSync(currentPath, `${JSON.stringify(located.policy, null, 2)}\n`);
      }
      expect(located.policy).toEqual(JSON.parse(readFileSync(currentPath, 'utf8')));
      expect(rewritten).toBe(readFileSync(expectedPath, 'utf8'));
      // Reading the edited file gives back exactly the new policy, and writing it again changes nothing.
      const again = locatePolicy(rewritten, input, target);
      if (isUnsupported(again)) throw new Error(again.unsupported);
      expect(again.policy).toEqual(next);
      expect(again.rewrite(next)).toBe(rewritten);
    });
  }

  it('leaves every line outside the policy untouched', () => {
    const { text, input, target } = load('cfn-yaml-managed');
    const located = locatePolicy(text, input, target);
    if (isUnsupported(located)) throw new Error(located.unsupported);
    const after = located.rewrite(next).split('\n');
    const before = text.split('\n');
    const policyStart = before.findIndex((line) => line.includes('PolicyDocument:'));
    expect(after.slice(0, policyStart + 1)).toEqual(before.slice(0, policyStart + 1));
    const tail = before.slice(before.findIndex((line) => line.includes('# Attached through')));
    expect(after.slice(after.length - tail.length)).toEqual(tail);
  });
});
