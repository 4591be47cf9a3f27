import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { KubejoinError } from '../errors.js';
import { certificatesOf } from '../protocol/pin.js';
import { openNodeSession } from '../session/index.js';
import type { CertAndKey, InstalledCredential } from '../store/installed.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { parseClusterInfo } from '../discovery/index.js';
import { applyCaBundle, eventLine, followCaBundle, type CaCheck } from './ca-bundle.js';

// The agent's schedule for following the CA bundle (docs/operations.md, "CA rotation"): what a
// check (a read, or a watch event of ca-watch.ts) found is logged and acted on here, with the
// renewals a rotation of the CA calls for:
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
  /** After every check of the bundle (a read, a watch event; a bookmark at most once an interval): the CAs stored. */
  onChecked?: (size: number) => void;
  /** A change scheduled a renewal (the agent plans again). */
  onRenewal?: () => void;
}

export class CaFollower {
  nextCheckAt = -Infinity;
  /** A renewal the CA calls for, if any (epoch ms, as the agent's clock counts). */
  renewAt: number | undefined;
  /** CAs in the stored bundle after the last check. */
  size = 0;
  readonly intervalMs: number;
  readonly random: () => number;
  private staleRenewals = 0;
  private lastRefusal = '';
  private reportedAt = -Infinity;

  constructor(readonly config: CaFollowConfig) {
    this.intervalMs = config.intervalMs ?? DEFAULT_CA_CHECK_INTERVAL_MS;
    this.random = config.random ?? Math.random;
  }

  /** One read at `at`; throws `credential-refused` when the server answers 401 to this certificate. */
  async check(installed: InstalledCredential, pair: CertAndKey, at: number, signal: AbortSignal): Promise<CaCheck> {
    this.nextCheckAt = at + this.intervalMs * (0.9 + 0.2 * this.random());
    const session = openNodeSession(installed.cluster, pair, { proxy: this.config.proxy, timeoutMs: 30_000, signal });
    let result: CaCheck;
    try {
      result = await followCaBundle(session, installed, pair, { proxy: this.config.proxy, signal });
    } finally {
      session.close();
    }
    if (result.kind === 'unavailable' && result.status === 401)
      throw new KubejoinError('credential-refused', `the cluster refused the node's certificate while reading cluster-info (HTTP 401)`);
    return this.settle(result, installed, at, signal);
  }

  /** cluster-info as a watch event brought it (an ADDED or MODIFIED object), applied with the same rules. */
  async applyObject(installed: InstalledCredential, pair: CertAndKey, object: unknown, at: number, signal: AbortSignal): Promise<CaCheck> {
    const answer = parseClusterInfo({ status: 200, body: JSON.stringify(object), headers: {} });
    return this.settle(await applyCaBundle(answer, installed.cluster, installed, pair, { proxy: this.config.proxy, signal }), installed, at, signal);
  }

  /** The watch is alive and nothing changed (a bookmark): reported at most once an interval. */
  confirmed(at: number): void {
    if (at - this.reportedAt < this.intervalMs) return;
    this.reportedAt = at;
    this.config.onChecked?.(this.size);
  }

  private async settle(result: CaCheck, installed: InstalledCredential, at: number, signal: AbortSignal): Promise<CaCheck> {
    this.size = result.size;
    this.reportedAt = at;
    this.config.onChecked?.(result.size);
    const { log } = this.config;
    if (result.kind === 'unavailable') {
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
      this.config.onRenewal?.();
      if (this.config.onCaChange) await runHook(this.config.onCaChange, log, signal);
    }
    return result;
  }

  /**
   * While the stored bundle holds several CAs and the certificate is not from the newest, a
   * renewal on the doubling schedule (the agent asks before every sleep).
   */
  planStale(certPem: string, bundlePem: string, at: number): void {
    if (this.renewAt !== undefined || !notFromNewest(certPem, bundlePem)) return;
    const wait = Math.min(MAX_STALE_BACKOFF_MS, this.intervalMs * 2 ** this.staleRenewals);
    this.renewAt = at + wait;
    this.config.log(`the client certificate is not from the newest CA of the bundle: renewal at ${new Date(this.renewAt).toISOString()}`);
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
