/** Everything a command may touch of its process, so commands run the same in tests and in a shell. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress bars and the human summary appear only on a terminal. */
  readonly stderrIsTTY: boolean;
}

export const exitCodes = { ok: 0, runFailure: 1, usage: 2, changes: 3 } as const;

/** The user asked for something impossible (bad flag value, missing path): exit 2, one line, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The run could not produce a trustworthy result (no events, role not seen, coverage miss): exit 1. */
export class RunFailure extends Error {
  override readonly name = 'RunFailure';
}
