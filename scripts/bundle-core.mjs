/**
 * Bundles `@iamgen/core` (compiled by tsc into many small modules) into one module: the CLI and each of its worker
 * threads load it at start, and one file loads several times faster than seventy.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = (file) => fileURLToPath(new URL(`../packages/core/dist/${file}`, import.meta.url));

await build({
  input: dist('index.js'),
  external: [/^node:/, /^@cloud-copilot\//],
  logLevel: 'warn',
  output: { file: dist('bundle.js'), format: 'esm', sourcemap: true },
});
