import { CATEGORY_TITLES, EXIT_CODES, type ErrorCategory } from '../contract/index.js';

/** The exit-code table printed by --help (and copied into the README): every code, or only `codes`. */
export function exitCodeTable(codes?: readonly number[]): string {
  const rows = Object.entries(EXIT_CODES)
    .filter(([, code]) => codes === undefined || codes.includes(code))
    .map(([k, code]) => `  ${String(code).padStart(2)}  ${k === 'ok' ? 'success' : CATEGORY_TITLES[k as ErrorCategory]}`);
  return `Exit codes:\n${rows.join('\n')}\n`;
}

/**
 * The codes each command can give (its help lists only these). doctor: the categories its
 * checks fail with (agent/doctor/); 12 is status's alone (renew fails with 6 when the cluster
 * is away); credential: a usage error, a keychain that cannot give the credential, or (found
 * through the store flags) no kubeconfig or credential.
 */
export const COMMAND_EXIT_CODES = {
  join: [0, 1, 2, 3, 4, 5, 6, 7, 8],
  doctor: [0, 1, 2, 3, 4, 6, 8],
  status: [0, 1, 2, 7, 10, 11, 12, 13],
  renew: [0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 13],
  credential: [0, 1, 2, 7, 10],
  agent: [0, 1, 2, 7, 10, 11],
  reset: [0, 1, 2, 7],
} as const;
