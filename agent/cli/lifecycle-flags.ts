import { UsageError } from '../errors.js';
import { MIN_EXPIRATION_SECONDS } from '../lifecycle/rotate.js';
import { resolve } from 'node:path';
import type { FlagSpecs, FlagValues } from './command.js';
import { proxyConfig, type ProxyConfig } from '../transport/proxy.js';

// The flags status, renew, agent and reset share: where the join put the credential.

const WHERE = 'Where the join put the credential';

/**
 * status, renew, agent and reset: the store flags of "kubejoin join", with its defaults, so
 * the line that joined works after it. The kubeconfig the join wrote names the credential
 * (docs/stores.md §7); `--kubeconfig` is an alias of `--kubeconfig-out`.
 */
export const STORE_FLAGS = {
  store: {
    type: 'string',
    value: 'auto|keychain|file',
    section: WHERE,
    help: 'the store the join used (default auto); the kubeconfig names the\ncredential, and a different store here is a warning',
  },
  'cert-dir': {
    type: 'string',
    value: '<dir>',
    section: WHERE,
    help: 'file store: directory of kubelet-client-current.pem\n(default /var/lib/kubelet/pki as root, else $XDG_STATE_HOME/kubejoin/pki)',
  },
  'kubeconfig-out': {
    type: 'string',
    value: '<file>',
    section: WHERE,
    help: 'the kubeconfig "kubejoin join" wrote\n(default /etc/kubernetes/kubelet.conf as root, else $XDG_STATE_HOME/kubejoin/kubelet.conf)',
  },
  kubeconfig: { type: 'string', value: '<file>', section: WHERE, help: 'the same as --kubeconfig-out' },
} as const satisfies FlagSpecs;

/** The earlier names of the store flags (kept for code that spreads them). */
export const LOCATION_FLAGS = STORE_FLAGS;
export const KUBECONFIG_LOCATION_FLAG = STORE_FLAGS;

export interface StoreLocation {
  kubeconfig?: string;
  certDir?: string;
  store?: 'auto' | 'keychain' | 'file';
}

/** The store flags as the lifecycle takes them; a bad value or two different kubeconfigs is exit 2. */
export function storeLocationOf(flags: FlagValues<typeof STORE_FLAGS>): StoreLocation {
  const { kubeconfig, 'kubeconfig-out': out, store, 'cert-dir': certDir } = flags;
  if (kubeconfig !== undefined && out !== undefined && kubeconfig !== out) {
    throw new UsageError(`--kubeconfig ${kubeconfig} and --kubeconfig-out ${out} name two files: --kubeconfig is an alias of --kubeconfig-out, give one`);
  }
  if (store !== undefined && store !== 'auto' && store !== 'keychain' && store !== 'file') {
    throw new UsageError(`--store must be auto, keychain or file, not ${JSON.stringify(store)}`);
  }
  const path = out ?? kubeconfig;
  return { ...(path ? { kubeconfig: path } : {}), ...(certDir ? { certDir } : {}), ...(store ? { store } : {}) };
}

/**
 * A --store or --cert-dir that does not match the credential the kubeconfig names: a warning
 * (the kubeconfig is what the join wrote; the flags were probably copied from another join).
 */
export function storeMismatch(where: StoreLocation, found: { kind: 'file' | 'keychain'; kubeconfigPath: string; certDir?: string }): string | undefined {
  if (where.store && where.store !== 'auto' && where.store !== found.kind) {
    return `warning: --store ${where.store}, but ${found.kubeconfigPath} names a ${found.kind}-store credential: using that`;
  }
  if (where.certDir && found.certDir && resolve(where.certDir) !== found.certDir) {
    return `warning: --cert-dir ${where.certDir}, but ${found.kubeconfigPath} names the credential in ${found.certDir}: using that`;
  }
  return undefined;
}

/** `kubejoin agent` reads this file when it exists and no --config is given (docs/operations.md). */
export const DEFAULT_AGENT_CONFIG = '/etc/kubejoin/agent.yaml';

export const EXPIRATION_FLAG = {
  'expiration-seconds': {
    type: 'string',
    value: '<n>',
    help: `ask for a certificate valid this long (the CSR's spec.expirationSeconds,\nat least ${MIN_EXPIRATION_SECONDS}; the cluster may grant less; default: the cluster's choice)`,
  },
} as const satisfies FlagSpecs;

export function expirationSecondsOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < MIN_EXPIRATION_SECONDS) {
    throw new UsageError(
      `--expiration-seconds must be a whole number of seconds, at least ${MIN_EXPIRATION_SECONDS} (the API server's minimum), not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** status, renew and agent reach the cluster the way the join did (docs/protocol.md §3.11). */
export const PROXY_FLAG = {
  proxy: {
    type: 'string',
    value: '<url>',
    help: 'HTTPS proxy (HTTP CONNECT), http[s]://[user:password@]host:port\n(default: HTTPS_PROXY or https_proxy; NO_PROXY applies either way)',
  },
} as const satisfies FlagSpecs;

/** The proxy in effect: --proxy, else HTTPS_PROXY/https_proxy (a bad URL is exit 2). */
export function proxyOf(flag: string | undefined, env: NodeJS.ProcessEnv): ProxyConfig | undefined {
  return proxyConfig(env, flag ? { value: flag, source: '--proxy' } : undefined);
}
