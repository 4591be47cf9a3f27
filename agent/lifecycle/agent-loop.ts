import { EXIT_CODES, type RotationUpdate } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import type { InstalledCredential } from '../store/installed.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { systemClock, type Clock } from './clock.js';
import { certificateDeadline, DEFAULT_BACKOFF, humanDuration, retryDelay, rotationDeadline, type Backoff } from './deadline.js';
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
}

/** Codes that end the agent: nothing it can do alone will fix them. */
const FINAL: ReadonlySet<string> = new Set(['not-joined', 'certificate-expired', 'invalid-input']);

export async function runRotationAgent(opts: AgentOptions): Promise<number> {
  const clock = opts.clock ?? systemClock;
  const { signal, log } = opts;
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
  while (!signal.aborted) {
    let installed: InstalledCredential | undefined;
    try {
      installed = await opts.locate();
      const { facts } = await currentCredential(installed, clock.now());
      const resume = (await installed!.loadRotationKey()) !== undefined || (await installed!.loadUncommitted()) !== undefined;
      const planned = opts.random ? rotationDeadline(facts.notBeforeMs, facts.notAfterMs, opts.random) : certificateDeadline(facts);
      const due = failures > 0 || resume ? clock.now() : planned;
      if (failures === 0 && announced !== facts.serialNumber) {
        announced = facts.serialNumber;
        const when = resume ? 'now (an earlier rotation did not finish)' : `at ${new Date(due).toISOString()} (in ${humanDuration(due - clock.now())})`;
        log(`node ${facts.nodeName}: certificate serial ${facts.serialNumber} valid until ${facts.notAfter}; next rotation ${when}`);
        update({ state: 'scheduled', notAfter: facts.notAfter, nextRotation: new Date(due).toISOString() });
      }
      await clock.sleepUntil(due, signal);
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
      log(
        `rotated: serial ${result.previous.serialNumber} -> ${result.current.serialNumber}, valid until ${result.current.notAfter}; the cluster sees ${result.identity.username}`,
      );
      update({ state: 'rotated', notAfter: result.current.notAfter, message: `rotated through ${result.csrName}` });
    } catch (err) {
      if (signal.aborted) return stopped();
      if (err instanceof KubejoinError && FINAL.has(err.category)) {
        log(`cannot rotate: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
        update({ state: 'stopped', message: err.message });
        return err.exitCode;
      }
      failures += 1;
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
