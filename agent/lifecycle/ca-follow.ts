import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { KubejoinError } from '../errors.js';
import { certificatesOf } from '../protocol/pin.js';
import { openNodeSession } from '../session/index.js';
import type { CertAndKey, InstalledCredential } from '../store/installed.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { eventLine, followCaBundle, type CaCheck } from './ca-bundle.js';

// The agent's schedule for following the CA bundle (docs/operations.md, "CA rotation"): a
// check every `intervalMs` (jittered ±10 %), and the renewals a rotation of the CA calls for:
// - a bundle change schedules one within a random part of `renewWindowMs`, so a fleet does
//   not renew at once;
// - while the bundle holds several CAs and the node's certificate is not from the newest one
//   (the controller-manager may switch signers after the bundle changed), renewals follow on
//   a doubling schedule (interval, 2x, 4x… at most 6 h), until the certificate is.

export const DEFAULT_CA_CHECK_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_CA_RENEW_WINDOW_MS = 30 * 60_000;
const MAX_STALE_BACKOFF_MS = 6 * 60 * 60_000;
const HOOK_TIMEOUT_MS = 60_000;

export interface CaFollowConfig {
  intervalMs?: number;
  renewWindowMs?: number;
  /** Run by /bin/sh after a write (--on-ca-change), e.g. "systemctl try-restart kubelet". */
  onCaChange?: string | undefined;
  proxy?: ProxyConfig | undefined;
  random?: () => number;
  log: (line: string) => void;
  /** Every CA change written or refused (metrics). */
  onEvent?: (kind: 'ca-added' | 'ca-removed' | 'ca-refused') => void;
}

export class CaFollower {
  nextCheckAt = -Infinity;
  /** A renewal the CA calls for, if any (epoch ms, as the agent's clock counts). */
  renewAt: number | undefined;
  /** CAs in the stored bundle after the last check. */
  size = 0;
  private staleRenewals = 0;
  private lastRefusal = '';
  private readonly intervalMs: number;
  private readonly random: () => number;

  constructor(private readonly config: CaFollowConfig) {
    this.intervalMs = config.intervalMs ?? DEFAULT_CA_CHECK_INTERVAL_MS;
    this.random = config.random ?? Math.random;
  }

  /** One check at `at`; throws `credential-refused` when the server answers 401 to this certificate. */
  async check(installed: InstalledCredential, pair: CertAndKey, at: number, signal: AbortSignal): Promise<CaCheck> {
    this.nextCheckAt = at + this.intervalMs * (0.9 + 0.2 * this.random());
    const session = openNodeSession(installed.cluster, pair, { proxy: this.config.proxy, timeoutMs: 30_000, signal });
    let result: CaCheck;
    try {
      result = await followCaBundle(session, installed, pair, { proxy: this.config.proxy, signal });
    } finally {
      session.close();
    }
    this.size = result.size;
    const { log } = this.config;
    if (result.kind === 'unavailable') {
      if (result.status === 401)
        throw new KubejoinError('credential-refused', `the cluster refused the node's certificate while reading cluster-info (HTTP 401)`);
      log(`CA check: ${result.reason}; checking again later`);
      return result;
    }
    if (result.kind === 'refused') {
      const line = eventLine(result.events[0]!);
      if (line !== this.lastRefusal) {
        log(line); // once per bundle: the same refusal every check would drown the log
        this.config.onEvent?.('ca-refused');
      }
      this.lastRefusal = line;
      return result;
    }
    this.lastRefusal = '';
    if (result.kind === 'changed') {
      for (const e of result.events) {
        log(eventLine(e));
        if (e.kind !== 'ca-refused') this.config.onEvent?.(e.kind);
      }
      log(`stored the cluster's CA bundle (${result.size} CAs) in ${installed.kubeconfigPath}`);
      const window = this.config.renewWindowMs ?? DEFAULT_CA_RENEW_WINDOW_MS;
      this.renewAt = Math.min(this.renewAt ?? Infinity, at + Math.floor(this.random() * window));
      this.staleRenewals = 0;
      log(`the CA bundle changed: client certificate renewal scheduled at ${new Date(this.renewAt).toISOString()}`);
      if (this.config.onCaChange) await runHook(this.config.onCaChange, log, signal);
      return result;
    }
    if (this.renewAt === undefined && notFromNewest(pair.certPem, installed.cluster.caPem)) {
      const wait = Math.min(MAX_STALE_BACKOFF_MS, this.intervalMs * 2 ** this.staleRenewals);
      this.renewAt = at + wait;
      log(`the client certificate is not from the newest CA of the bundle: renewal at ${new Date(this.renewAt).toISOString()}`);
    }
    return result;
  }

  /** After a rotation: the renewal the CA called for is done. */
  rotated(): void {
    if (this.renewAt !== undefined) this.staleRenewals += 1;
    this.renewAt = undefined;
  }
}

/** More than one CA, and the certificate is not issued by the one that started last (the later in the bundle on a tie). */
export function notFromNewest(certPem: string, bundlePem: string): boolean {
  const cas = certificatesOf(bundlePem);
  if (cas.length < 2) return false;
  const newest = cas.reduce((a, b) => (Date.parse(b.validFrom) >= Date.parse(a.validFrom) ? b : a));
  const cert = new X509Certificate(certPem);
  return !(cert.checkIssued(newest) && cert.verify(newest.publicKey));
}

/** Runs the --on-ca-change command; its exit status is reported, never fatal. */
export function runHook(command: string, log: (line: string) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', signal, timeout: HOOK_TIMEOUT_MS });
    child.on('error', (err) => {
      log(`--on-ca-change: could not run: ${err.message}`);
      resolve();
    });
    child.on('exit', (code, sig) => {
      log(`--on-ca-change: ${code === 0 ? 'exit 0' : code !== null ? `failed: exit ${code}` : `ended by ${sig}`}`);
      resolve();
    });
  });
}
