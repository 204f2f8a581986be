#!/usr/bin/env node
import { runCli } from './main.js';
import { exitOnInterrupt, interruption, signalExitCodes } from './signals.js';

exitOnInterrupt(process.stderr);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
});
// A run that wound down after an interrupt still ends with the signal's code.
const signal = interruption();
process.exitCode = signal === undefined ? code : signalExitCodes[signal];
