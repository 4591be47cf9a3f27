import { KubejoinError } from '../errors.js';

// The device clock against the API server's (docs/protocol.md §3.10). The server's `Date`
// header arrives on an unverified connection, so it is used for one thing only: to explain
// a certificate-time failure (and warn about a large skew) in plain words. It never
// decides whether anything is trusted; the pin does that.

/** Beyond this the clock is called wrong (a warning when the join still works). */
export const MAX_SKEW_MS = 5 * 60_000;

/** One reading: the device's time when the answer arrived, and the server's Date. */
export interface ClockReading {
  deviceAt: number;
  serverAt: number;
  /** deviceAt - serverAt: positive when this device is ahead. */
  skewMs: number;
}

/** A reading from an HTTP `Date` header (IMF-fixdate, 1 s resolution); undefined if absent or unparsable. */
export function readServerDate(date: string | undefined, deviceAt = Date.now()): ClockReading | undefined {
  if (!date) return undefined;
  const serverAt = Date.parse(date);
  if (!Number.isFinite(serverAt)) return undefined;
  // The header is truncated to the second: the server's time was within [serverAt, serverAt + 1 s).
  const raw = deviceAt - (serverAt + 500);
  return { deviceAt, serverAt, skewMs: Math.abs(raw) <= 500 ? 0 : raw };
}

export function isSkewed(reading: ClockReading | undefined): reading is ClockReading {
  return reading !== undefined && Math.abs(reading.skewMs) > MAX_SKEW_MS;
}

const UNITS: [number, string][] = [
  [86_400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];
const plural = (n: number, name: string): string => `${n} ${name}${n === 1 ? '' : 's'}`;

/** "2 days", "10 minutes", "1 hour 5 minutes", "40 seconds": the two largest units, rounded. */
export function describeDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const i = UNITS.findIndex(([size]) => s >= size);
  if (i < 0) return '0 seconds';
  const [size, name] = UNITS[i]!;
  const next = UNITS[i + 1];
  let n = Math.floor(s / size);
  let m = next ? Math.round((s - n * size) / next[0]) : 0;
  if (next && m * next[0] >= size) {
    n += 1;
    m = 0;
  }
  return next && m > 0 ? `${plural(n, name)} ${plural(m, next[1])}` : plural(n, name);
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** "this device's clock is 2 days behind the API server (device 2026-…, server 2026-…)" */
export function describeSkew(r: ClockReading): string {
  const direction = r.skewMs < 0 ? 'behind' : 'ahead of';
  return `this device's clock is ${describeDuration(r.skewMs)} ${direction} the API server (device ${iso(r.deviceAt)}, server ${iso(r.serverAt)})`;
}

const SET_THE_CLOCK =
  'enable time synchronisation with "timedatectl set-ntp true" (and check that NTP is reachable), or set the time by hand ("timedatectl set-time \'YYYY-MM-DD HH:MM:SS\'")';
export const CLOCK_HINT = `Set the clock: ${SET_THE_CLOCK}, then join again.`;

/** The warning a join shows when the skew is large but nothing failed (yet). */
export function skewWarning(r: ClockReading): string {
  return `WARNING: ${describeSkew(r)}; certificates may look not yet valid or expired to it. Set the clock soon: ${SET_THE_CLOCK}.`;
}

/** A certificate-time failure explained by the clock (exit 8). `what` says what failed. */
export function clockError(r: ClockReading, what: string): KubejoinError {
  return new KubejoinError('clock', `${describeSkew(r)}, so ${what}`, { hint: CLOCK_HINT });
}

/** Node's (OpenSSL's) codes for a certificate outside its validity period. */
export function isCertificateTimeCode(code: string | undefined): boolean {
  return code === 'CERT_NOT_YET_VALID' || code === 'CERT_HAS_EXPIRED' || code === 'CRL_NOT_YET_VALID' || code === 'CRL_HAS_EXPIRED';
}
