import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function logFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') || f.endsWith('.json.gz'))
    .sort()
    .map((f) => join(folder, f));
}

// docs/library.md promises its example works as written: run it, as a user would, against the built package.
describe('docs/library.md', () => {
  it('runs its example and gets the policy the CLI prints', async () => {
    const markdown = readFileSync(join(root, 'docs', 'library.md'), 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(markdown)?.[1];
    expect(example).toBeDefined();
    // Inside the core package, `@iamgen/core` resolves to the package itself (Node's self-reference).
    const script = join(root, 'packages', 'core', `.library-example-${process.pid}.mjs`);
    await writeFile(script, example ?? '');
    try {
      const result = spawnSync(process.execPath, [script, ...logFiles(join(root, 'samples', 'orders-api', 'logs'))], {
        encoding: 'utf8',
      });
      expect(result.stderr).toMatch(/^\d+ records read, 0 problems\n$/);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(readFileSync(join(root, 'samples', 'orders-api', 'expected-policy.json'), 'utf8'));
    } finally {
      await rm(script, { force: true });
    }
  });
});
