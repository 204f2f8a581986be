import { runCli } from './main.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process and captures what it prints: for tests and the evaluation, which drive the CLI as a user would. */
export async function runCliCaptured(
  argv: readonly string[],
  cwd: string,
  stderrIsTTY = false,
  env: Readonly<Record<string, string>> = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd,
    env,
    stderrIsTTY,
  });
  return { code, stdout, stderr };
}
