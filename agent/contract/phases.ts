/** The phases of a join, in the order the engine runs them. */
export const PHASES = [
  'validate',
  'discover',
  'verify-signature',
  'pin-ca',
  'verify-server',
  'request-certificate',
  'await-approval',
  'store-credentials',
  'verify-credentials',
] as const;

export type Phase = (typeof PHASES)[number];

/** Short, human titles for each phase (CLI step list and UI). */
export const PHASE_TITLES: Readonly<Record<Phase, string>> = {
  validate: 'Validate input',
  discover: 'Discover the cluster',
  'verify-signature': 'Verify the cluster-info signature',
  'pin-ca': 'Pin the cluster CA',
  'verify-server': 'Verify the API server',
  'request-certificate': 'Request a client certificate',
  'await-approval': 'Wait for approval',
  'store-credentials': 'Store the credentials',
  'verify-credentials': 'Verify the credentials',
};
