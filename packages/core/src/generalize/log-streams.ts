import type { Access } from '../types.js';
import type { Widening } from './replace.js';
import { applyWidenings } from './replace.js';
import type { RuleResult } from './types.js';

const logStreamArn = /^(arn:[^:]+:logs:[^:]*:[^:]*:log-group:[^:]+):log-stream:.+$/;

/**
 * Log stream names are made anew (Lambda starts one per execution environment), so a grant on the streams
 * seen would fail tomorrow: stream ARNs become `log-group:<name>:*`, the group's streams and nothing else.
 */
export function generalizeLogStreams(accesses: readonly Access[]): RuleResult {
  const widenings = new Map<string, Widening>();
  for (const { resource } of accesses) {
    const match = logStreamArn.exec(resource);
    if (match)
      widenings.set(resource, {
        into: `${match[1]}:*`,
        rule: 'log-streams-of-group',
        because: 'stream names change with every writer',
      });
  }
  return applyWidenings(accesses, widenings);
}
