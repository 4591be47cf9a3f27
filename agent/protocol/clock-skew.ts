import { KubejoinError } from '../errors.js';

// The device clock against the API server's (docs/protocol.md §3.7). The server's `Date`
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
  // The header is truncated to the second: a difference under a second is no skew.
  const raw = deviceAt - serverAt;
  const skewMs = raw >= 0 && raw < 1000 ? 0 : raw;
  return { deviceAt, serverAt, skewMs };
}

export function isSkewed(reading: ClockReading | undefined): reading is ClockReading {
  return reading !== undefined && Math.abs(reading.skewMs) > MAX_SKEW_MS;
}

/** "2 days", "10 minutes", "1 hour 5 minutes", "40 seconds". */
export function describeDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const units: [number, string][] = [[86_400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const parts: string[] = [];
  let rest = s;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 && parts.length < 2) {
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      rest -= n * size;
    } else if (parts.length > 0) break;
  }
  return parts.length ? parts.join(' ') : '0 seconds';
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** "this device's clock is 2 days behind the API server (device 2026-…, server 2026-…)" */
export function describeSkew(r: ClockReading): string {
  const direction = r.skewMs < 0 ? 'behind' : 'ahead of';
  return `this device's clock is ${describeDuration(r.skewMs)} ${direction} the API server (device ${iso(r.deviceAt)}, server ${iso(r.serverAt)})`;
}

export const CLOCK_HINT = 'Set the clock: enable time synchronisation with "timedatectl set-ntp true" (and check that NTP is reachable), or set the time by hand ("timedatectl set-time \'YYYY-MM-DD HH:MM:SS\'"), then join again.';

/** The warning a join shows when the skew is large but nothing failed (yet). */
export function skewWarning(r: ClockReading): string {
  return `WARNING: ${describeSkew(r)}; certificates may look not yet valid or expired. ${CLOCK_HINT}`;
}

/** A certificate-time failure explained by the clock (exit 8). `what` says what failed. */
export function clockError(r: ClockReading, what: string): KubejoinError {
  return new KubejoinError('clock', `${describeSkew(r)}, so ${what}`, { hint: CLOCK_HINT });
}

/** Node's (OpenSSL's) codes for a certificate outside its validity period. */
export function isCertificateTimeCode(code: string | undefined): boolean {
  return code === 'CERT_NOT_YET_VALID' || code === 'CERT_HAS_EXPIRED' || code === 'CRL_NOT_YET_VALID' || code === 'CRL_HAS_EXPIRED';
}
