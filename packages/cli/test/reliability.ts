import type { TestOptions } from 'vitest';

/** One row of docs/reliability.md: a hostile input or fault, how the test makes it, what must happen. */
export interface ReliabilityRow {
  /** Section of the table: input, fault, signal, secret, terminal, property. */
  readonly area: string;
  /** The input or fault class, as a user would name it. */
  readonly fault: string;
  /** How the test produces it. */
  readonly produced: string;
  /** What iamgen must do. */
  readonly expected: string;
}

declare module 'vitest' {
  interface TaskMeta {
    reliability?: ReliabilityRow;
  }
}

/**
 * Marks a test as a row of the reliability table: `pnpm reliability` runs the tests whose names carry
 * `[reliability]` and renders their rows with the result. Use as `it('[reliability] …', reliability({…}), fn)`.
 */
export function reliability(row: ReliabilityRow): TestOptions {
  return { meta: { reliability: row } };
}
