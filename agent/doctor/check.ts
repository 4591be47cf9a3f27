import type { X509Certificate } from 'node:crypto';
import type { CheckId, DoctorCheck, ErrorCategory } from '../contract/index.js';
import type { ClockReading } from '../protocol/clock-skew.js';
import type { ClusterInfoData, VerifiedCluster } from '../discovery/index.js';
import type { PinSet } from '../protocol/pin.js';
import type { BootstrapToken } from '../protocol/token.js';
import type { ProxyConfig } from '../transport/proxy.js';

// What every check gets, what it leaves for the next ones, and the one runner that times a
// check and holds it to the doctor's total bound.

export interface DoctorContext {
  endpoint: string;
  host: string;
  port: number;
  proxy: ProxyConfig | undefined;
  /** The proxy this endpoint goes through (undefined: direct, NO_PROXY or loopback). */
  via: ProxyConfig | undefined;
  pins: PinSet;
  token: BootstrapToken | undefined;
  /** Ends every network operation at the doctor's total bound. */
  signal: AbortSignal;
  deadline: number;
  /** Filled in as the checks run. */
  found: Found;
}

export interface Found {
  /** The name does not resolve here (and no proxy resolves it): nothing after DNS can run. */
  unresolved?: boolean;
  reachable?: boolean;
  tlsOk?: boolean;
  /** The server's certificate chain as it presented it (leaf first). */
  chain?: X509Certificate[];
  clock?: ClockReading;
  clusterInfo?: ClusterInfoData;
  /** The token's JWS over cluster-info verified. */
  signed?: boolean;
  /** A CA matched a pin and the endpoint's TLS verified against the trusted CAs. */
  pinHolds?: boolean;
  /** Discovery's own steps proved the cluster: the only thing a token is sent to. */
  verified?: VerifiedCluster;
  tokenAuthenticated?: boolean;
}

export type Outcome = Omit<DoctorCheck, 'id' | 'durationMs'>;

export const pass = (summary: string, evidence: string[] = []): Outcome => ({ status: 'pass', summary, evidence });
export const skip = (summary: string, evidence: string[] = []): Outcome => ({ status: 'skip', summary, evidence });
export const warn = (summary: string, fix: string, evidence: string[] = []): Outcome => ({ status: 'warn', summary, fix, evidence });
export const fail = (category: ErrorCategory, summary: string, fix: string, evidence: string[] = []): Outcome => ({
  status: 'fail',
  summary,
  fix,
  category,
  evidence,
});

/** Ends an operation a little before the bound, so it fails with its own words. */
const MARGIN_MS = 250;

/** Milliseconds left for one operation: the total bound (less a margin), at most `cap`. */
export function remaining(ctx: DoctorContext, cap = 5000): number {
  return Math.max(1, Math.min(cap, ctx.deadline - Date.now() - MARGIN_MS));
}

/** Runs one check within what is left of the total bound; a throw is a failed check. */
export async function runCheck(id: CheckId, ctx: DoctorContext, work: () => Promise<Outcome>): Promise<DoctorCheck> {
  const started = performance.now();
  const done = (o: Outcome): DoctorCheck => ({ id, ...o, durationMs: Math.round(performance.now() - started) });
  const left = ctx.deadline - Date.now();
  if (left <= 0) return done(skip('not run: the total time bound was used up by the checks before it'));
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          fail(
            'timeout',
            `did not finish within the doctor's time bound`,
            'Raise --timeout, or look at the checks before this one (a hanging server or proxy).',
          ),
        ),
      left,
    );
  });
  try {
    return done(await Promise.race([work(), bound]));
  } catch (err) {
    return done(fail('internal', `the check itself failed: ${(err as Error).message}`, 'Report this with the output of "kubejoin doctor -o json".'));
  } finally {
    clearTimeout(timer);
  }
}
