import { createHash, X509Certificate } from 'node:crypto';
import type { IssuedCertificate } from '../contract/index.js';

// When to rotate, the kubelet's way (client-go util/certificate, nextRotationDeadline and
// jitteryDuration): notBefore + a uniformly random 70-90 % of the certificate's lifetime,
// so nodes joined together do not all renew together. Retries back off with jitter.
// The kubelet draws a new random number each time it plans; kubejoin draws it from the
// certificate's serial number (random, per certificate), so `status` shows the very time
// the agent will rotate at, and a restarted agent keeps its plan.

export interface CertificateFacts extends IssuedCertificate {
  notBeforeMs: number;
  notAfterMs: number;
  /** The node name of `CN=system:node:<name>`, if the subject has that form. */
  nodeName?: string;
}

export function certificateFacts(certPem: string): CertificateFacts {
  const cert = new X509Certificate(certPem);
  const notBeforeMs = Date.parse(cert.validFrom);
  const notAfterMs = Date.parse(cert.validTo);
  const parts = cert.subject.split('\n');
  const cn = parts.find((p) => p.startsWith('CN='))?.slice(3);
  const orgs = parts.filter((p) => p.startsWith('O=')).map((p) => p.slice(2));
  const nodeName = cn?.startsWith('system:node:') ? cn.slice('system:node:'.length) : undefined;
  return {
    subject: `CN=${cn ?? ''}, O=${orgs.join('+')}`,
    serialNumber: cert.serialNumber,
    notBefore: new Date(notBeforeMs).toISOString(),
    notAfter: new Date(notAfterMs).toISOString(),
    notBeforeMs,
    notAfterMs,
    ...(nodeName ? { nodeName } : {}),
  };
}

/** A number in [0, 1) fixed by the serial: uniform across certificates (serials are random). */
export function serialJitter(serialNumber: string): number {
  return createHash('sha256').update(serialNumber.toUpperCase()).digest().readUInt32BE(0) / 2 ** 32;
}

/** The deadline of this certificate (see serialJitter). */
export function certificateDeadline(facts: Pick<CertificateFacts, 'notBeforeMs' | 'notAfterMs' | 'serialNumber'>): number {
  return rotationDeadline(facts.notBeforeMs, facts.notAfterMs, () => serialJitter(facts.serialNumber));
}

/** notBefore + (0.7 + 0.2·r) × lifetime, r uniform in [0, 1). */
export function rotationDeadline(notBeforeMs: number, notAfterMs: number, random: () => number = Math.random): number {
  const lifetime = notAfterMs - notBeforeMs;
  return notBeforeMs + Math.round(lifetime * (0.7 + 0.2 * random()));
}

export interface Backoff {
  /** First delay (default 2 s, the kubelet's). */
  initialMs: number;
  /** Ceiling (default 5 min). */
  maxMs: number;
  /** ± this fraction at random (default 0.1). */
  jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 2_000, maxMs: 5 * 60_000, jitter: 0.1 };

/** Delay before retry `attempt` (1-based): doubling from initialMs, capped, jittered. */
export function retryDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(base * (1 + backoff.jitter * (2 * random() - 1)));
}

/** "3d 4h", "12m 5s", "40s": a duration for people. */
export function humanDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (unit === 's' && parts.length === 0)) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
