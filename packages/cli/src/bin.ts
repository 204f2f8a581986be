#!/usr/bin/env node
import { removePendingWrites } from './atomic-write.js';
import { runCli } from './main.js';

// Ctrl-C or a scheduler's TERM: leave no temporary file behind, say so in one line, exit as shells expect (128 + n).
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    removePendingWrites();
    process.stderr.write(
      `${process.stderr.isTTY ? '\n' : ''}iamgen: interrupted by ${signal}; no partial file was left\n`,
    );
    process.exit(code);
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
});
