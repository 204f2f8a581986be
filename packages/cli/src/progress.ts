import type { CliIo } from './cli-io.js';
import { rawStreamOf } from './terminal.js';

export interface FileProgress {
  found(): void;
  done(): void;
  stop(): void;
}

const silent: FileProgress = { found() {}, done() {}, stop() {} };

/**
 * A files-read bar on stderr when it is a terminal that can move its cursor; nothing otherwise, so logs and pipes
 * stay clean. It draws in the terminal's own colour, so NO_COLOR has nothing to turn off. The bar's library is
 * loaded only when it is drawn.
 */
export async function fileProgress(io: CliIo, label: string): Promise<FileProgress> {
  if (!io.stderrIsTTY || io.env.TERM === 'dumb') return silent;
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} files`,
    stream: rawStreamOf(io.stderr) as NodeJS.WritableStream,
    hideCursor: true,
    clearOnComplete: true,
    fps: 10,
  });
  let total = 0;
  let started = false;
  return {
    found() {
      total += 1;
      if (!started) {
        bar.start(total, 0);
        started = true;
      } else bar.setTotal(total);
    },
    done() {
      bar.increment();
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
