import { dirname, resolve } from 'node:path';
import type * as KeytarModule from 'keytar';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { ensureDir, writeFileAtomic } from './fs-atomic.js';
import { renderKubeconfig } from '../protocol/kubeconfig.js';
import { defaultKubeconfigPath } from './paths.js';
import type { ClusterRef, CredentialStore, StoreTarget } from './types.js';

// The OS keychain through keytar: Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows. Key and certificate are separate entries, each under Windows'
// 2,500-byte limit. The kubeconfig holds no secret: kubectl runs `kubejoin credential`.

export type Keytar = typeof KeytarModule.default;

/** Windows Credential Manager's limit for one secret. */
export const MAX_ENTRY_BYTES = 2500;
const PROBE_TIMEOUT_MS = 5000;

export function keychainService(env: NodeJS.ProcessEnv): string {
  return env.KUBEJOIN_KEYCHAIN_SERVICE || 'kubejoin';
}

export function keychainAccount(nodeName: string, server: string, entry: 'key' | 'cert' | 'pending-key'): string {
  return `${nodeName}@${server}#${entry}`;
}

let keytarModule: Promise<Keytar> | undefined;
export function loadKeytar(): Promise<Keytar> {
  keytarModule ??= import('keytar').then((m) => m.default);
  return keytarModule;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s (is the keyring locked?)`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolvePromise(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

/** Why the keychain cannot be used, in words for the operator; undefined when it can. */
export async function probeKeychain(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  let keytar: Keytar;
  try {
    keytar = await loadKeytar();
  } catch (err) {
    return `the keytar native module cannot be loaded (${(err as Error).message.split('\n')[0]})`;
  }
  try {
    await withTimeout(keytar.findCredentials(keychainService(env)), PROBE_TIMEOUT_MS, 'the keychain');
    return undefined;
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    if (process.platform === 'linux') {
      if (/D-Bus|DBUS|dbus|Could not connect|autolaunch/.test(message)) {
        return `no D-Bus session bus is reachable for the Secret Service (DBUS_SESSION_BUS_ADDRESS=${env.DBUS_SESSION_BUS_ADDRESS ?? 'unset'}: ${message})`;
      }
      if (/org\.freedesktop\.secrets|ServiceUnknown/.test(message)) return `no Secret Service (gnome-keyring or KWallet) is running on the session bus (${message})`;
    }
    return `the keychain is not usable: ${message}`;
  }
}

export function keychainHint(): string {
  return process.platform === 'linux'
    ? 'Start and unlock a Secret Service (e.g. gnome-keyring-daemon --unlock inside a D-Bus session), or use --store file.'
    : 'Unlock the login keychain, or use --store file.';
}

function fail(action: string, err: unknown): KubejoinError {
  return new KubejoinError('store-failed', `cannot ${action} in the keychain: ${(err as Error).message.split('\n')[0]}`, { hint: keychainHint() });
}

export class KeychainStore implements CredentialStore {
  readonly kind = 'keychain' as const;
  private readonly service: string;
  private readonly kubeconfigPath: string;
  private wrotePending = false;

  constructor(private readonly target: StoreTarget, readonly reason: string) {
    this.service = keychainService(target.env);
    this.kubeconfigPath = resolve(target.kubeconfigOut ?? defaultKubeconfigPath(target.env));
  }

  private account(entry: 'key' | 'cert' | 'pending-key'): string {
    return keychainAccount(this.target.nodeName, this.target.server, entry);
  }

  async loadPendingKey(): Promise<string | undefined> {
    try {
      return (await (await loadKeytar()).getPassword(this.service, this.account('pending-key'))) ?? undefined;
    } catch (err) {
      throw fail('read the pending key', err);
    }
  }

  async savePendingKey(keyPem: string): Promise<void> {
    try {
      await (await loadKeytar()).setPassword(this.service, this.account('pending-key'), keyPem);
      this.wrotePending = true;
    } catch (err) {
      throw fail('save the pending key', err);
    }
  }

  async save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential> {
    for (const [what, value] of [['certificate', certPem], ['key', keyPem]] as const) {
      if (Buffer.byteLength(value) >= MAX_ENTRY_BYTES) {
        throw new KubejoinError('store-failed', `the ${what} is ${Buffer.byteLength(value)} bytes, over the keychain's ${MAX_ENTRY_BYTES}-byte limit per entry`, {
          hint: 'Use --store file.',
        });
      }
    }
    const command = this.target.credentialCommand ?? { command: 'kubejoin', args: [] };
    const kubeconfig = renderKubeconfig(cluster, {
      kind: 'exec',
      command: command.command,
      args: [...command.args, 'credential', '--server', this.target.server, '--node-name', this.target.nodeName],
    });
    const keytar = await loadKeytar().catch((err: unknown) => {
      throw fail('load keytar', err);
    });
    try {
      await keytar.setPassword(this.service, this.account('key'), keyPem);
      await keytar.setPassword(this.service, this.account('cert'), certPem);
    } catch (err) {
      throw fail('store the credential', err);
    }
    try {
      await ensureDir(dirname(this.kubeconfigPath), 0o700);
      await writeFileAtomic(this.kubeconfigPath, kubeconfig, 0o600);
    } catch (err) {
      throw new KubejoinError('store-failed', `cannot write ${this.kubeconfigPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'Choose a writable path with --kubeconfig-out.',
      });
    }
    await keytar.deletePassword(this.service, this.account('pending-key')).catch(() => false);
    return { kind: 'keychain', reason: this.reason, kubeconfigPath: this.kubeconfigPath, location: `keychain service "${this.service}", account "${this.account('cert').replace(/#cert$/, '')}"` };
  }

  async discardPending(): Promise<void> {
    if (!this.wrotePending) return;
    await (await loadKeytar()).deletePassword(this.service, this.account('pending-key')).catch(() => false);
  }
}

/** The stored credential, for `kubejoin credential`. */
export async function readKeychainCredential(env: NodeJS.ProcessEnv, nodeName: string, server: string): Promise<{ certPem: string; keyPem: string }> {
  const keytar = await loadKeytar();
  const service = keychainService(env);
  const [keyPem, certPem] = await Promise.all([
    keytar.getPassword(service, keychainAccount(nodeName, server, 'key')),
    keytar.getPassword(service, keychainAccount(nodeName, server, 'cert')),
  ]);
  if (!keyPem || !certPem) {
    throw new KubejoinError('store-failed', `no credential for node "${nodeName}" at ${server} in the keychain (service "${service}")`, {
      hint: 'Join again with "kubejoin join … --store keychain".',
    });
  }
  return { certPem, keyPem };
}
