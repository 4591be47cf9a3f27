/** Where the issued credential is kept. */
export type StoreKind = 'auto' | 'keychain' | 'file';
export const STORE_KINDS: readonly StoreKind[] = ['auto', 'keychain', 'file'];

/**
 * Everything a join needs, as the operator gave it (flags, a pasted command line,
 * a provisioning file, the UI form). The engine validates it in its `validate` phase.
 * The token fields are secrets: they are never copied into events, errors or results.
 */
export interface JoinRequest {
  /** `host:port` (IPv6 in brackets) of the API server used for discovery. */
  endpoint?: string;
  /** Bootstrap token `<id>.<secret>` used for discovery (and TLS bootstrap unless tlsBootstrapToken). */
  token?: string;
  /** Token for the TLS bootstrap; defaults to `token`. */
  tlsBootstrapToken?: string;
  /** `sha256:<hex>` pins of the cluster CA public key. */
  caCertHashes?: string[];
  /** Allow discovery without CA pins (kubeadm's --discovery-token-unsafe-skip-ca-verification). */
  unsafeSkipCaVerification?: boolean;
  /** A kubeconfig file path or https URL to discover the cluster from instead of a token. */
  discoveryFile?: string;
  /** Node name; defaults to the host name. */
  nodeName?: string;
  store?: StoreKind;
  /** File store: directory of kubelet-client-current.pem. */
  certDir?: string;
  /** Where the kubeconfig for the new credential is written. */
  kubeconfigOut?: string;
  /** Join again even when a valid credential for this node and cluster is stored (it stays until the new one is verified). */
  force?: boolean;
  /**
   * HTTPS proxy (`http://[user:password@]host:port`, HTTP CONNECT) for the connections to the
   * cluster; default HTTPS_PROXY/https_proxy. NO_PROXY applies either way. The credentials in
   * it are secrets: never shown.
   */
  proxy?: string;
  /** How long discovery keeps retrying (ms). Default 5 minutes. */
  discoveryTimeoutMs?: number;
  /** How long the whole join may take (ms). Default 10 minutes. */
  timeoutMs?: number;
}

export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_JOIN_TIMEOUT_MS = 10 * 60_000;
