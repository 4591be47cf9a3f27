// Go's time rules, where kubejoin must read or write exactly what Go code on the control plane
// reads and writes: `time.ParseDuration` (kubeadm's --ttl), `time.Parse(time.RFC3339, …)` (the
// authenticator, BootstrapSigner and TokenCleaner reading a token's `expiration`) and
// `duration.ShortHumanDuration` (kubeadm's TTL column). Pure: no I/O, no clock.

import { maskTokenShapes } from '../contract/index.js';

const NS_PER: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek small letter mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/** A value Go's parser rejects; the message says why, in Go's words where it has them. */
export class GoParseError extends Error {
  override name = 'GoParseError';
  constructor(message: string) {
    super(maskTokenShapes(message));
  }
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` or `0`, as nanoseconds.
 * Throws GoParseError for anything Go rejects (including int64 overflow).
 */
export function parseGoDuration(text: string): bigint {
  let s = text;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
    let i = 0;
    let whole = 0n;
    while (isDigit(s[i])) {
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > 1n << 63n) throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
      i++;
    }
    const pre = i > 0;
    let frac = 0n;
    let scale = 1;
    let post = false;
    if (s[i] === '.') {
      i++;
      const start = i;
      let overflow = false;
      while (isDigit(s[i])) {
        if (!overflow) {
          const next = frac * 10n + BigInt(s.charCodeAt(i) - 48);
          if (frac > MAX_INT64 / 10n || next > 1n << 63n) overflow = true;
          else {
            frac = next;
            scale *= 10;
          }
        }
        i++;
      }
      post = i > start;
    }
    if (!pre && !post) throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
    let j = i;
    while (j < s.length && s[j] !== '.' && !isDigit(s[j])) j++;
    const unitName = s.slice(i, j);
    if (unitName === '') throw new GoParseError(`missing unit in duration ${JSON.stringify(text)}`);
    const unit = NS_PER[unitName];
    if (unit === undefined) throw new GoParseError(`unknown unit ${JSON.stringify(unitName)} in duration ${JSON.stringify(text)}`);
    s = s.slice(j);
    if (whole > (1n << 63n) / unit) throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
    let v = whole * unit;
    if (frac > 0n) {
      // Go computes the fraction in float64; so do we, to land on the same nanosecond.
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / scale)));
      if (v > 1n << 63n) throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
    }
    total += v;
    if (total > 1n << 63n) throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
  }
  if (neg) return -total;
  if (total > MAX_INT64) throw new GoParseError(`invalid duration ${JSON.stringify(text)}`);
  return total;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// Go's RFC 3339 layout parsed by its general parser (which accepts slightly more than its fast
// path: a one-digit hour, a comma before the fraction, zone offsets up to +24:00 / :60).
const RFC3339_GO = /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * `time.Parse(time.RFC3339, text)` as milliseconds since the epoch (sub-millisecond digits
 * truncated), or undefined where Go returns an error. An undefined expiration means
 * "expired" to the control plane (docs/protocol.md §1).
 */
export function parseGoRfc3339(text: string): number | undefined {
  const m = RFC3339_GO.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMin = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 24 || om > 60) return undefined;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offsetMin * 60_000;
}

/** Go's `t.UTC().Format(time.RFC3339)`: whole seconds, `Z`. */
export function formatRfc3339Utc(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** apimachinery's `duration.ShortHumanDuration` (kubeadm's TTL column). */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}
