import type { JoinEvent } from '../../contract/index.js';

// A poll that waits says why on every attempt (agent/discovery/index.ts retryLine: "<reason>;
// retrying (attempt N, T left)"). A live step list shows the latest in place; plain text and
// NDJSON print a line each, so there a repeat of the same reason is left out unless
// FOLD_EVERY_MS passed since it was last printed: a changed reason always shows at once.

export const FOLD_EVERY_MS = 30_000;

const RETRY_SUFFIX = /; retrying \(attempt \d+[^)]*\)$/;

export class RetryFold {
  private readonly last = new Map<string, { reason: string; at: number }>();

  /** Whether to print this event (false: a repeated retry line, folded). */
  shows(e: JoinEvent): boolean {
    if (e.type !== 'progress') return true;
    const reason = e.message.replace(RETRY_SUFFIX, '');
    if (reason === e.message) return true;
    const previous = this.last.get(e.phase);
    if (previous && previous.reason === reason && e.at - previous.at < FOLD_EVERY_MS) return false;
    this.last.set(e.phase, { reason, at: e.at });
    return true;
  }
}
