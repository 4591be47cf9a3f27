import type { KubejoinError } from '../errors.js';
import { clockError, isCertificateTimeCode, isSkewed, readServerDate, type ClockReading } from '../protocol/clock-skew.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { request, sharedAgent, TransportError } from '../transport/http.js';

// The clock guard of discovery (docs/protocol.md §3.10): turns a certificate-time failure
// into "this device's clock is N behind the server" when the server's Date says so.

/**
 * Reads the server's Date with one anonymous, unverified GET /version (no token, nothing
 * secret). Only for explaining a failure: undefined when the server does not answer.
 */
export async function readClockAnonymously(
  server: string,
  opts: { proxy?: ProxyConfig | undefined; timeoutMs: number; signal?: AbortSignal },
): Promise<ClockReading | undefined> {
  try {
    const res = await request({
      url: `${server.replace(/\/+$/, '')}/version`,
      agent: sharedAgent({ insecure: true, proxy: opts.proxy }),
      timeoutMs: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return readServerDate(res.date);
  } catch (err) {
    if (err instanceof TransportError) return undefined;
    throw err;
  }
}

/**
 * For a TLS failure of the verified connection: the clock error when the certificate was
 * outside its validity period and the measured skew is beyond the limit, else undefined.
 */
export function clockFailure(err: TransportError, reading: ClockReading | undefined, server: string): KubejoinError | undefined {
  if (!isCertificateTimeCode(err.code) || !isSkewed(reading)) return undefined;
  const state = /NOT_YET/.test(err.code ?? '') ? 'not valid yet' : 'expired';
  return clockError(reading, `the certificate of ${server} looks ${state} to it (${err.code})`);
}

/** The hint for a certificate-time failure the clock does not explain. */
export function certificateTimeHint(err: TransportError, reading: ClockReading | undefined): string | undefined {
  if (!isCertificateTimeCode(err.code)) return undefined;
  return reading
    ? 'The server certificate is outside its validity period, and this device agrees with the server on the time: the certificate itself needs renewing on the control plane.'
    : 'The server certificate is outside its validity period by this device\'s clock: check the clock ("timedatectl"), and the certificate\'s dates on the control plane.';
}
