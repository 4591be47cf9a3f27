import { timerDurationProblem } from '../contract/index.js';
import { GoParseError, parseGoDuration } from './go-time.js';

/**
 * A positive-or-zero Go duration ("5m", "1h30m", "300ms", "0") in milliseconds, or
 * undefined if Go's time.ParseDuration rejects it or it is negative.
 */
export function parseDuration(text: string): number | undefined {
  const ms = goDurationMs(text);
  return ms === undefined || ms < 0 ? undefined : ms;
}

/** Go's time.ParseDuration in milliseconds (negative allowed), or undefined if Go rejects it. */
function goDurationMs(text: string): number | undefined {
  try {
    return Number(parseGoDuration(text.trim())) / 1e6;
  } catch (err) {
    if (err instanceof GoParseError) return undefined;
    throw err;
  }
}

/** What a duration value may be, beyond Go's syntax. */
export interface DurationRule {
  /** `0` is accepted and means "none" or "never" (kubectl's --request-timeout, kubeadm's --ttl). */
  allowZero?: boolean;
  /** A bare whole number counts as seconds (kubectl's --request-timeout). */
  bareSeconds?: boolean;
  /**
   * The value arms no timer (a token's TTL becomes a date): no timer bound. Otherwise it must
   * fit a timer, whole milliseconds up to about 24 days (timerDurationProblem).
   */
  notATimer?: boolean;
}

/**
 * The one check of every duration kubejoin reads (flags, JoinConfiguration, provisioning):
 * Go's syntax, then the rule. The problem reads after the quoted value, e.g.
 * `--timeout "600h" is longer than a timer can hold: …`.
 */
export function checkDuration(text: string, rule: DurationRule = {}): { ms: number; problem?: undefined } | { problem: string } {
  const example = `use e.g. 30s, 5m or 1h30m${rule.allowZero ? ', or 0 for no limit' : ''}`;
  const trimmed = text.trim();
  const ms = rule.bareSeconds && /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : goDurationMs(trimmed);
  if (ms === undefined) return { problem: `is not a duration: ${example}` };
  if (ms < 0) return { problem: `is negative: ${example}` };
  if (ms === 0) return rule.allowZero ? { ms } : { problem: `must be longer than 0: ${example}` };
  if (rule.notATimer) return { ms };
  const problem = timerDurationProblem(ms);
  return problem === undefined ? { ms } : { problem };
}
