import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { FlagSpecs, FlagValues } from './command.js';

// The store flags of every command after a join (status, renew, agent, reset, credential):
// where the join put the credential. A file of its own, with nothing heavy to import: the
// exec plugin (`credential`, docs/performance.md) declares them too.

const WHERE = 'Where the join put the credential';

/**
 * status, renew, agent, reset and credential: the store flags of "kubejoin join", with its defaults, so
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
