/**
 * Why a join (or an admin command) failed. Each category has one exit code,
 * documented in the README and in `kubejoin --help`.
 */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  'invalid-input': 2,
  'untrusted-cluster': 3,
  'token-refused': 4,
  'certificate-denied': 5,
  timeout: 6,
  'store-failed': 7,
  clock: 8,
  // After the join (kubejoin status, renew, agent; docs/protocol.md §7).
  'not-joined': 10,
  'certificate-expired': 11,
  'cluster-unreachable': 12,
  'credential-refused': 13,
} as const;

export type ErrorCategory = Exclude<keyof typeof EXIT_CODES, 'ok'>;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Plain-words descriptions of each category, for help text and the UI. */
export const CATEGORY_TITLES: Readonly<Record<ErrorCategory, string>> = {
  internal: 'internal error',
  'invalid-input': 'invalid input or usage',
  'untrusted-cluster': "the cluster's identity could not be verified",
  'token-refused': 'the token was refused',
  'certificate-denied': 'the certificate request was denied or failed',
  timeout: 'unreachable or timed out',
  'store-failed': 'the credential store failed',
  clock: "this device's clock is wrong",
  'not-joined': 'this machine is not joined (no stored credential)',
  'certificate-expired': 'the stored certificate has expired (join again with a new token)',
  'cluster-unreachable': 'the credential is valid, but the cluster could not be reached to confirm it',
  'credential-refused': 'the cluster refuses the stored credential',
};

/** What to do next when the engine gave no hint, by category. */
export const NEXT_STEPS: Readonly<Record<ErrorCategory, string>> = {
  'invalid-input': 'Check the values in the form (or the pasted command) and try again.',
  'untrusted-cluster':
    'Check the CA cert hash with "kubejoin ca-hash" on the control plane. If it differs from the one you were given, do not trust this server.',
  'token-refused': 'The token may have expired or been deleted: create a new one on the control plane ("kubejoin token create") and join again.',
  'certificate-denied': 'Ask a cluster administrator why the certificate request was denied, then join again.',
  timeout: 'Check that the API server is reachable from this machine and that certificate requests get approved, then try again.',
  'store-failed': 'Choose another credential store (file or keychain) or check the permissions of the credential location.',
  internal: 'Copy the diagnostics and report the problem.',
  clock: 'Set this device\'s clock ("timedatectl set-ntp true", or set the time by hand), then join again.',
  'not-joined': 'Join this machine first ("kubejoin join …", or the form).',
  'certificate-expired': 'An expired certificate cannot renew itself: join again with a new bootstrap token.',
  'cluster-unreachable': 'Check that the API server is reachable from this machine; the stored certificate stays valid until it expires.',
  'credential-refused': 'The cluster no longer accepts this credential: reset this machine ("kubejoin reset") and join again with a new token.',
};

/** A failure as it crosses a boundary (event, IPC, JSON output): no stack, no secret. */
export interface ErrorInfo {
  category: ErrorCategory;
  exitCode: ExitCode;
  /** What went wrong, in one or two sentences a person understands. */
  message: string;
  /** What to do next. */
  hint?: string;
}
