import { removePendingWrites } from './atomic-write.js';

type Stop = (signal: NodeJS.Signals) => void;

/** Exit codes shells give a process ended by the signal (128 + its number). */
export const signalExitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

const stoppers = new Set<Stop>();
let received: keyof typeof signalExitCodes | undefined;

/**
 * Lets a long remote operation (an Athena query) wind down on the first Ctrl-C or TERM instead of the process
 * leaving at once; a second signal still leaves at once. Returns the function that unregisters it.
 */
export function onInterrupt(stop: Stop): () => void {
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

/** The signal that interrupted this run, if one did. */
export function interruption(): keyof typeof signalExitCodes | undefined {
  return received;
}

/**
 * Ctrl-C or a scheduler's TERM: leave no temporary file behind, say so in one line, exit as shells expect.
 * When an operation registered with `onInterrupt` is running, the first signal asks it to stop and the run ends
 * through it (the caller then exits with the signal's code); a second one leaves at once.
 */
export function exitOnInterrupt(stderr: { write(text: string): unknown; isTTY?: boolean }): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      const first = received === undefined;
      received ??= signal;
      if (first && stoppers.size > 0) {
        for (const stop of stoppers) stop(signal);
        return;
      }
      const leave = () => {
        stderr.write(
          `${stderr.isTTY === true ? '\n' : ''}iamgen: interrupted by ${signal}; no partial file was left\n`,
        );
        process.exit(signalExitCodes[signal]);
      };
      // Writes in flight settle first (a few milliseconds), so none of their files appears after the cleanup.
      // A second signal waits for nothing.
      void removePendingWrites(first ? 2000 : 0).then(leave, leave);
    });
  }
}
