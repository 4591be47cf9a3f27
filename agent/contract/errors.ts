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
  timeout: 'timed out',
  'store-failed': 'the credential store failed',
  clock: "this device's clock is wrong",
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
