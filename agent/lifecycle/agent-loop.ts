import { EXIT_CODES, type RotationUpdate } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import type { InstalledCredential } from '../store/installed.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { systemClock, type Clock } from './clock.js';
import { certificateDeadline, DEFAULT_BACKOFF, humanDuration, retryDelay, rotationDeadline, type Backoff } from './deadline.js';
import { certificatesOf } from '../protocol/pin.js';
import type { CertAndKey } from '../store/installed.js';
import { CaFollower, type CaFollowConfig } from './ca-follow.js';
import { followCaBundleForever } from './ca-watch.js';
import { currentCredential, rotate } from './rotate.js';

// The rotation agent: `kubejoin agent` under systemd, and the desktop app while it is open.
// It sleeps until the rotation deadline, rotates, and starts over with the new
// certificate; when the cluster is away it retries with a capped, jittered backoff. One
// log line per event. It ends when the signal aborts (exit 0), or when the credential can
// no longer rotate itself: not joined (10) or expired (11) (docs/protocol.md §9).

export interface AgentOptions {
  /** Finds the stored credential (again before every attempt: a reset or a re-join may change it). */
  locate: () => Promise<InstalledCredential | undefined>;
  signal: AbortSignal;
  log: (line: string) => void;
  clock?: Clock;
  /** How this machine reaches the cluster (HTTPS_PROXY, --proxy; undefined: directly). */
  proxy?: ProxyConfig | undefined;
  /** Passed to each rotation's CSR (spec.expirationSeconds). */
  expirationSeconds?: number;
  backoff?: Backoff;
  /** Replaces the per-certificate jitter (of the deadline and the backoff) in tests. */
  random?: () => number;
  /** The whole of one rotation attempt, approval included (default 15 min). */
  rotationTimeoutMs?: number;
  /** For a window: the schedule and each outcome. */
  onUpdate?: (update: RotationUpdate) => void;
  /** Follow the cluster's CA bundle (docs/operations.md, "CA rotation"); absent: not followed. */
  followCa?: Omit<CaFollowConfig, 'log' | 'proxy' | 'random'>;
  /**
   * Joins again as the same node with a bootstrap token (`join --force`), when the certificate
   * expired or the cluster answers 401 to it. Absent: no token; the agent ends (11) or retries.
   */
  rejoin?: (reason: string) => Promise<string>;
  /** Told after every check (metrics). */
  observer?: AgentObserver;
}

export interface AgentObserver {
  checked(sample: { certPem?: string; caBundleSize?: number; at: number }): void;
  renewal(result: 'success' | 'failure'): void;
  caChange(change: 'ca-added' | 'ca-removed' | 'ca-refused'): void;
}

/** Codes that end the agent: nothing it can do alone will fix them. */
const FINAL: ReadonlySet<string> = new Set(['not-joined', 'certificate-expired', 'invalid-input']);

export async function runRotationAgent(opts: AgentOptions): Promise<number> {
  const clock = opts.clock ?? systemClock;
  const { log } = opts;
  // The CA follow runs beside the rotation schedule (never blocking it) and ends with it.
  const followStop = new AbortController();
  const signal = followStop.signal;
  const stopAll = (): void => followStop.abort(opts.signal.reason);
  if (opts.signal.aborted) stopAll();
  else opts.signal.addEventListener('abort', stopAll, { once: true });
  let lastCertPem: string | undefined;
  let following: Promise<void> | undefined;
  let followError: unknown;
  let wake = new AbortController();
  const observer = opts.observer;
  const follower = opts.followCa
    ? new CaFollower({
        ...opts.followCa,
        log,
        proxy: opts.proxy,
        ...(opts.random ? { random: opts.random } : {}),
        onEvent: (k) => observer?.caChange(k),
        onChecked: (size) => observer?.checked({ ...(lastCertPem ? { certPem: lastCertPem } : {}), caBundleSize: size, at: clock.now() }),
        onRenewal: () => wake.abort(),
      })
    : undefined;
  const follow = (): void => {
    if (!follower || following) return;
    const current = async (): Promise<{ installed: InstalledCredential; pair: CertAndKey }> => {
      const installed = await opts.locate();
      const { pair } = await currentCredential(installed, clock.now());
      return { installed: installed!, pair };
    };
    following = followCaBundleForever(follower, { current, clock, signal })
      .catch((err: unknown) => {
        followError = err; // the rotation loop acts on it (a re-join), then follows again
        wake.abort();
      })
      .finally(() => (following = undefined));
  };
  try {
    return await rotationLoop(opts, clock, signal, follower, {
      follow,
      takeError: () => {
        const err = followError;
        followError = undefined;
        return err;
      },
      sleepUntil: async (at) => {
        const woken = (wake = new AbortController());
        const onStop = (): void => woken.abort(signal.reason);
        if (signal.aborted) onStop();
        signal.addEventListener('abort', onStop, { once: true });
        try {
          await clock.sleepUntil(at, woken.signal);
          return false;
        } catch (err) {
          if (signal.aborted) throw err;
          return true;
        } finally {
          signal.removeEventListener('abort', onStop);
        }
      },
      seen: (certPem) => (lastCertPem = certPem),
    });
  } finally {
    opts.signal.removeEventListener('abort', stopAll);
    followStop.abort();
    await following;
  }
}

interface FollowControl {
  /** Starts the CA follow if it does not run. */
  follow(): void;
  /** What ended the follow, if it ended (once). */
  takeError(): unknown;
  /** Sleeps until `at` (false), or less when the follow scheduled a renewal or ended (true). */
  sleepUntil(at: number): Promise<boolean>;
  seen(certPem: string): void;
}

async function rotationLoop(opts: AgentOptions, clock: Clock, signal: AbortSignal, follower: CaFollower | undefined, control: FollowControl): Promise<number> {
  const { log } = opts;
  const update = (u: RotationUpdate): void => {
    try {
      opts.onUpdate?.(u);
    } catch {
      // A listener that went away must not stop rotation.
    }
  };
  const stopped = (): number => {
    log('stopping: the current credential is unchanged');
    update({ state: 'stopped', message: 'the rotation agent stopped' });
    return EXIT_CODES.ok;
  };
  let failures = 0;
  let announced = '';
  const observer = opts.observer;
  while (!signal.aborted) {
    let installed: InstalledCredential | undefined;
    try {
      installed = await opts.locate();
      const { facts, pair } = await currentCredential(installed, clock.now());
      control.seen(pair.certPem);
      const resume = (await installed!.loadRotationKey()) !== undefined || (await installed!.loadUncommitted()) !== undefined;
      const planned = opts.random ? rotationDeadline(facts.notBeforeMs, facts.notAfterMs, opts.random) : certificateDeadline(facts);
      const due = failures > 0 || resume ? clock.now() : planned;
      if (failures === 0 && announced !== facts.serialNumber) {
        announced = facts.serialNumber;
        const when = resume ? 'now (an earlier rotation did not finish)' : `at ${new Date(due).toISOString()} (in ${humanDuration(due - clock.now())})`;
        log(`node ${facts.nodeName}: certificate serial ${facts.serialNumber} valid until ${facts.notAfter}; next rotation ${when}`);
        update({ state: 'scheduled', notAfter: facts.notAfter, nextRotation: new Date(due).toISOString() });
      }
      observer?.checked({
        certPem: pair.certPem,
        ...(follower ? { caBundleSize: follower.size || certificatesOf(installed!.cluster.caPem).length } : {}),
        at: clock.now(),
      });
      control.follow();
      // Until the rotation is due; a CA change (or a certificate not from the newest CA) may
      // bring it forward, and the follow wakes this sleep when it does.
      for (;;) {
        const err = control.takeError();
        if (err) throw err;
        const latest = await opts.locate();
        follower?.planStale((await currentCredential(latest, clock.now())).pair.certPem, latest!.cluster.caPem, clock.now());
        const target = Math.min(due, follower?.renewAt ?? Infinity);
        if (clock.now() >= target) break;
        // Slept the whole way: due (the test clock's waits are shorter than its now() says).
        if (!(await control.sleepUntil(target))) break;
      }
      installed = await opts.locate();
      const latest = await currentCredential(installed, clock.now());
      if (latest.facts.serialNumber !== facts.serialNumber) continue; // renewed meanwhile (kubejoin renew): plan again
      update({ state: 'rotating', notAfter: facts.notAfter });
      log(failures > 0 ? `rotating (attempt ${failures + 1})` : 'rotation due: rotating');
      const result = await rotate(installed, {
        signal,
        onProgress: log,
        proxy: opts.proxy,
        ...(opts.expirationSeconds !== undefined ? { expirationSeconds: opts.expirationSeconds } : {}),
        ...(opts.rotationTimeoutMs !== undefined ? { timeoutMs: opts.rotationTimeoutMs } : {}),
        now: () => clock.now(),
      });
      failures = 0;
      follower?.rotated();
      observer?.renewal('success');
      observer?.checked({ certPem: (await installed!.load())?.certPem ?? '', ...(follower ? { caBundleSize: follower.size } : {}), at: clock.now() });
      log(
        `rotated: serial ${result.previous.serialNumber} -> ${result.current.serialNumber}, valid until ${result.current.notAfter}; the cluster sees ${result.identity.username}`,
      );
      update({ state: 'rotated', notAfter: result.current.notAfter, message: `rotated through ${result.csrName}` });
    } catch (err) {
      if (signal.aborted) return stopped();
      if (opts.rejoin && err instanceof KubejoinError && needsRejoin(err)) {
        log(`the node's certificate no longer works (${err.message}): joining again as the same node with the bootstrap token`);
        try {
          const who = await opts.rejoin(err.message);
          log(`joined again: the cluster sees ${who}`);
          failures = 0;
          follower?.rotated();
          continue;
        } catch (rejoinErr) {
          err = rejoinErr;
          log(`joining again failed: ${rejoinErr instanceof KubejoinError ? rejoinErr.message : (rejoinErr as Error).message}`);
        }
      }
      if (err instanceof KubejoinError && FINAL.has(err.category)) {
        log(`cannot rotate: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
        update({ state: 'stopped', message: err.message });
        return err.exitCode;
      }
      failures += 1;
      if (!(err instanceof KubejoinError && err.category === 'certificate-expired')) observer?.renewal('failure');
      const delay = retryDelay(failures, opts.backoff ?? DEFAULT_BACKOFF, opts.random);
      const why = err instanceof KubejoinError ? err.message : `internal error: ${(err as Error).message}`;
      log(`rotation failed (attempt ${failures}): ${why}; retrying in ${humanDuration(delay)}`);
      update({ state: 'retrying', message: why, nextRotation: new Date(clock.now() + delay).toISOString() });
      try {
        await clock.sleepUntil(clock.now() + delay, signal);
      } catch {
        return stopped();
      }
    }
  }
  return stopped();
}

/** Expired, or refused with 401 (revoked, or its CA retired): only a new join helps. */
function needsRejoin(err: KubejoinError): boolean {
  return err.category === 'certificate-expired' || (err.category === 'credential-refused' && /HTTP 401/.test(err.message));
}
