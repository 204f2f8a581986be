/**
 * Bundles `@iamgen/core` (compiled by tsc into many small modules) into one module: the CLI and each of its worker
 * threads load it at start, and one file loads several times faster than seventy.
 */
import { build } from 'rolldown';

await build({
  input: new URL('../packages/core/dist/index.js', import.meta.url).pathname,
  external: [/^node:/, /^@cloud-copilot\//],
  logLevel: 'warn',
  output: {
    file: new URL('../packages/core/dist/bundle.js', import.meta.url).pathname,
    format: 'esm',
    sourcemap: true,
  },
});
