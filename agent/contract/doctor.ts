import type { ErrorCategory } from './errors.js';

// `kubejoin doctor` and the desktop app's "Run checks": one report, the same in the CLI's
// text and JSON and in the failure view. Evidence never holds a token secret or a proxy
// password.

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** In the order they run; each builds on the ones before it. */
export const CHECK_IDS = ['proxy', 'dns', 'tcp', 'tls', 'clock', 'cluster-info', 'signature', 'pin', 'token', 'csr-rights'] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export const CHECK_TITLES: Readonly<Record<CheckId, string>> = {
  proxy: 'Proxy in effect',
  dns: 'Name resolution',
  tcp: 'TCP connection',
  tls: 'TLS handshake',
  clock: 'Clock skew',
  'cluster-info': 'cluster-info readable anonymously',
  signature: 'cluster-info signed for the token',
  pin: 'CA pin and verified TLS',
  token: 'Token authenticates',
  'csr-rights': 'Token may create certificate requests',
};

export interface DoctorCheck {
  id: CheckId;
  status: CheckStatus;
  /** One line: what was found. */
  summary: string;
  /** What the check saw (addresses, certificate names and dates, HTTP statuses, hashes). */
  evidence: string[];
  /** For warn and fail: what to do. */
  fix?: string;
  /** For fail: the error category (hence the exit code) a join would end with. */
  category?: ErrorCategory;
  durationMs: number;
}

export interface DoctorCause {
  check: CheckId;
  summary: string;
  fix?: string;
  category?: ErrorCategory;
}

export interface DoctorReport {
  endpoint: string;
  /** No check failed (warnings allowed). */
  ok: boolean;
  /** 0, or the exit code of the top-ranked failure's category. */
  exitCode: number;
  checks: DoctorCheck[];
  /** Failures, then warnings: the most likely cause first. */
  causes: DoctorCause[];
  startedAt: string;
  durationMs: number;
}

/** What the checks are run with (a token only if given; it is sent only after the pin holds). */
export interface DoctorRequest {
  endpoint: string;
  caCertHashes?: string[];
  token?: string;
  proxy?: string;
  /** Bound on all checks together (ms). Default 15 s. */
  timeoutMs?: number;
}

export const DEFAULT_DOCTOR_TIMEOUT_MS = 15_000;
