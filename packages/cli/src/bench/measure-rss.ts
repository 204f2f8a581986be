/**
 * Runs the iamgen binary in this process and appends its peak resident set size (threads included) to stderr as
 * `peak-rss-kb <n>`, so `pnpm bench` can report memory without platform-specific tools.
 */
import { fileURLToPath } from 'node:url';

process.on('exit', () => {
  process.stderr.write(`\npeak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
await import(fileURLToPath(new URL('../bin.js', import.meta.url)));
