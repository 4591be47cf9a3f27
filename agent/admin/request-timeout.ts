import type https from 'node:https';
import { KubejoinError, UsageError } from '../errors.js';
import { checkDuration, type DurationRule } from '../protocol/duration.js';
import type { ApiOp } from './rbac-errors.js';

// kubectl's --request-timeout for every admin call (docs/protocol.md §7): "0" means none,
// a bare number is seconds, otherwise a Go duration. kubejoin's default is 30 s: an API
// server that accepts the connection and never answers must not hang a command.

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The rule of the one duration check (agent/protocol/duration.ts) for --request-timeout. */
export const REQUEST_TIMEOUT_RULE: DurationRule = { allowZero: true, bareSeconds: true };

export function parseRequestTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_REQUEST_TIMEOUT_MS;
  const checked = checkDuration(value, REQUEST_TIMEOUT_RULE);
  if (checked.problem !== undefined) throw new UsageError(`--request-timeout ${JSON.stringify(value)} ${checked.problem}`);
  return checked.ms;
}

/**
 * Runs one API call within `ms` (0: unbounded). On expiry the connections the call opened are
 * destroyed (client-node 1.x takes no AbortSignal) and the call fails as a timeout (exit 6).
 */
export async function bounded<T>(ms: number, server: string, op: ApiOp, agents: Set<https.Agent>, fn: () => Promise<T>): Promise<T> {
  if (ms <= 0) return fn();
  agents.clear();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      for (const agent of agents) agent.destroy();
      reject(
        new KubejoinError(
          'timeout',
          `the API server ${server} did not answer within ${ms / 1000} s (--request-timeout) to ${op.verb} ${op.resource}${op.name ? ` ${op.name}` : ''}`,
          {
            hint: 'Check that the API server is up and reachable, or raise --request-timeout.',
          },
        ),
      );
    }, ms);
  });
  try {
    return await Promise.race([fn(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
