// After the join: what `kubejoin status` reports (text and JSON) and what the desktop app
// shows about certificate rotation. Runtime-free, like the rest of the contract.
import { EXIT_CODES } from './errors.js';
import type { Identity, IssuedCertificate, StoredCredential } from './events.js';

/** The overall answer of `kubejoin status`; each has one exit code (docs/protocol.md §7). */
export type CredentialState =
  /** Joined, the certificate is valid and the cluster confirmed who we are (exit 0). */
  | 'joined'
  /** No stored credential (exit 10). */
  | 'not-joined'
  /** The stored certificate is past its notAfter (exit 11). */
  | 'expired'
  /** Valid as far as we can tell offline; the cluster could not be reached (exit 12). */
  | 'unreachable'
  /** The cluster answered but does not accept the credential (exit 13). */
  | 'refused';

export const STATE_EXIT_CODES: Readonly<Record<CredentialState, number>> = {
  joined: EXIT_CODES.ok,
  'not-joined': EXIT_CODES['not-joined'],
  expired: EXIT_CODES['certificate-expired'],
  unreachable: EXIT_CODES['cluster-unreachable'],
  refused: EXIT_CODES['credential-refused'],
};

/** A certificate request that waits for an administrator (a join's or a rotation's). */
export interface PendingRequest {
  /** Why a key is waiting: an unfinished join, or an unfinished rotation. */
  kind: 'join' | 'rotation';
  /** The deterministic CSR name (docs/protocol.md §4.4), when the node name is known. */
  csrName?: string;
  /** What the cluster says about it, when it could be asked. */
  state?: 'pending' | 'approved' | 'issued' | 'denied' | 'failed' | 'not-found' | 'unknown';
  /** Where the key waits. */
  keyLocation: string;
  /** The command an administrator runs to approve it. */
  approveCommand?: string;
}

export interface CredentialStatus {
  state: CredentialState;
  exitCode: number;
  /** One sentence for a person. */
  summary: string;
  nodeName?: string;
  server?: string;
  /** What the cluster says now (SelfSubjectReview with the stored credential). */
  identity?: Identity;
  /** Why the identity could not be checked (offline, refused). */
  identityProblem?: string;
  certificate?: IssuedCertificate & {
    /** Seconds until notAfter (negative once expired). */
    secondsLeft: number;
    /** When rotation is due (a jittered 70-90 % of the lifetime, as the kubelet computes it). */
    rotationDue: string;
  };
  store?: StoredCredential;
  pending?: PendingRequest[];
  /** What to do next, if anything. */
  hint?: string;
}

/** Pushed to the window while the app keeps the credential fresh. */
export interface RotationUpdate {
  state: 'scheduled' | 'rotating' | 'rotated' | 'retrying' | 'stopped';
  /** The current certificate's end of validity. */
  notAfter?: string;
  /** When the next rotation is planned. */
  nextRotation?: string;
  /** The last rotation's outcome, in words. */
  message?: string;
}
