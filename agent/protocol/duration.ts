import { GoParseError, parseGoDuration } from './go-time.js';

/**
 * A positive-or-zero Go duration ("5m", "1h30m", "300ms", "0") in milliseconds, or
 * undefined if Go's time.ParseDuration rejects it or it is negative.
 */
export function parseDuration(text: string): number | undefined {
  try {
    const ns = parseGoDuration(text.trim());
    return ns < 0n ? undefined : Number(ns) / 1e6;
  } catch (err) {
    if (err instanceof GoParseError) return undefined;
    throw err;
  }
}
