import type { DeviceFacts } from './device.js';
import type { ErrorInfo } from './errors.js';
import type { Phase } from './phases.js';
import type { StoreKind } from './options.js';

/** Milliseconds since the join started. */
type At = { at: number };

export type JoinEvent =
  | ({ type: 'started'; phase: Phase } & At)
  | ({ type: 'progress'; phase: Phase; message: string; attempt?: number } & At)
  | ({ type: 'succeeded'; phase: Phase; durationMs: number; message?: string } & At)
  | ({ type: 'failed'; phase: Phase; durationMs: number; error: ErrorInfo } & At)
  | ({ type: 'result'; result: JoinResult } & At);

export interface IssuedCertificate {
  subject: string;
  notBefore: string;
  notAfter: string;
  serialNumber: string;
}

export interface StoredCredential {
  /** The store that was used (never 'auto'). */
  kind: Exclude<StoreKind, 'auto'>;
  /** Why this store was chosen (auto) or that it was asked for. */
  reason: string;
  /** Kubeconfig that uses the credential. */
  kubeconfigPath: string;
  /** File store: the kubelet-client-current.pem path. Keychain: the service and account. */
  location: string;
}

export interface Identity {
  username: string;
  groups: string[];
}

export type JoinResult =
  | {
      ok: true;
      nodeName: string;
      server: string;
      identity: Identity;
      certificate: IssuedCertificate;
      store: StoredCredential;
      /** The CSR this join made or reused; empty when `alreadyJoined`. */
      csrName: string;
      /** A valid credential for this node and cluster was already stored: nothing was requested. */
      alreadyJoined?: boolean;
      device?: DeviceFacts;
      durationMs: number;
      phaseDurationsMs: Partial<Record<Phase, number>>;
    }
  | {
      ok: false;
      phase?: Phase;
      error: ErrorInfo;
      device?: DeviceFacts;
      durationMs: number;
      phaseDurationsMs: Partial<Record<Phase, number>>;
    };
