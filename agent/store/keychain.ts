import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type * as KeytarModule from 'keytar';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { crashPoint } from './crash-point.js';
import { fileStoreError } from './errno.js';
import { ensureDir, stageFile, sweepTemporaries, type StagedFile } from './fs-atomic.js';
import { renderKubeconfig } from '../protocol/kubeconfig.js';
import { defaultKubeconfigPath } from './paths.js';
import type { ClusterRef, CredentialStore, ExistingCredential, StagedCredential, StoreTarget } from './types.js';

// The OS keychain through keytar: Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows. Certificate and key are one entry (`#credential`), under Windows'
// 2,500-byte limit, so they are replaced together. The kubeconfig holds no secret: kubectl runs `kubejoin credential`.

type Keytar = typeof KeytarModule.default;

/** Windows Credential Manager's limit for one secret. */
export const MAX_ENTRY_BYTES = 2500;
const PROBE_TIMEOUT_MS = 5000;

export function keychainService(env: NodeJS.ProcessEnv): string {
  return env.KUBEJOIN_KEYCHAIN_SERVICE || 'kubejoin';
}

type Entry = 'credential' | 'key' | 'cert' | 'pending-key';

export function keychainAccount(nodeName: string, server: string, entry: Entry): string {
  return `${nodeName}@${server}#${entry}`;
}

let keytarModule: Promise<Keytar> | undefined;
function loadKeytar(): Promise<Keytar> {
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
  /** This run loaded or wrote the pending entry: a denial removes it. */
  private hasPending = false;

  constructor(private readonly target: StoreTarget, readonly reason: string) {
    this.service = keychainService(target.env);
    this.kubeconfigPath = resolve(target.kubeconfigOut ?? defaultKubeconfigPath(target.env));
  }

  private account(entry: Entry): string {
    return keychainAccount(this.target.nodeName, this.target.server, entry);
  }

  async loadPendingKey(): Promise<string | undefined> {
    await sweepTemporaries(dirname(this.kubeconfigPath));
    try {
      const pem = (await (await loadKeytar()).getPassword(this.service, this.account('pending-key'))) ?? undefined;
      if (pem) this.hasPending = true;
      return pem;
    } catch (err) {
      throw fail('read the pending key', err);
    }
  }

  async savePendingKey(keyPem: string): Promise<void> {
    try {
      await (await loadKeytar()).setPassword(this.service, this.account('pending-key'), keyPem);
      this.hasPending = true;
    } catch (err) {
      throw fail('save the pending key', err);
    }
    crashPoint('pending-key-saved');
  }

  async loadCredential(): Promise<ExistingCredential | undefined> {
    let pair: { certPem: string; keyPem: string } | undefined;
    try {
      pair = await readPair(await loadKeytar(), this.service, this.target.nodeName, this.target.server);
    } catch (err) {
      throw fail('read the credential', err);
    }
    if (!pair || !existsSync(this.kubeconfigPath)) return undefined;
    return { ...pair, stored: this.stored() };
  }

  private stored(): StoredCredential {
    return { kind: 'keychain', reason: this.reason, kubeconfigPath: this.kubeconfigPath, location: `keychain service "${this.service}", account "${this.account('credential').replace(/#credential$/, '')}"` };
  }

  async stage(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StagedCredential> {
    const entry = `${certPem.trim()}\n${keyPem.trim()}\n`;
    if (Buffer.byteLength(entry) >= MAX_ENTRY_BYTES) {
      throw new KubejoinError('store-failed', `the certificate and key are ${Buffer.byteLength(entry)} bytes, over the keychain's ${MAX_ENTRY_BYTES}-byte limit per entry`, {
        hint: 'Use --store file.',
      });
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
    let staged: StagedFile;
    try {
      await ensureDir(dirname(this.kubeconfigPath), 0o700);
      staged = await stageFile(this.kubeconfigPath, kubeconfig, 0o600);
    } catch (err) {
      throw fileStoreError('write', this.kubeconfigPath, err);
    }
    crashPoint('credential-staged');
    return {
      abort: () => staged.abort(),
      commit: async () => {
        // One entry holds the pair: a kill leaves the old pair or the new one (§2).
        try {
          await keytar.setPassword(this.service, this.account('credential'), entry);
        } catch (err) {
          await staged.abort();
          throw fail('store the credential', err);
        }
        crashPoint('keychain-entry-written');
        try {
          await staged.commit();
        } catch (err) {
          throw fileStoreError('write', this.kubeconfigPath, err);
        }
        for (const old of ['pending-key', 'key', 'cert'] as const) await keytar.deletePassword(this.service, this.account(old)).catch(() => false);
        this.hasPending = false;
        return this.stored();
      },
    };
  }

  async save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential> {
    return (await this.stage(certPem, keyPem, cluster)).commit();
  }

  async discardPending(): Promise<void> {
    if (!this.hasPending) return;
    await (await loadKeytar()).deletePassword(this.service, this.account('pending-key')).catch(() => false);
    this.hasPending = false;
  }
}

/** The pair from the one `#credential` entry, or from the separate entries older versions wrote. */
async function readPair(keytar: Keytar, service: string, nodeName: string, server: string): Promise<{ certPem: string; keyPem: string } | undefined> {
  const one = await keytar.getPassword(service, keychainAccount(nodeName, server, 'credential'));
  if (one) {
    const certs = one.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    const key = one.match(/-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/);
    return certs && key ? { certPem: `${certs.join('\n')}\n`, keyPem: `${key[0]}\n` } : undefined;
  }
  const [keyPem, certPem] = await Promise.all([
    keytar.getPassword(service, keychainAccount(nodeName, server, 'key')),
    keytar.getPassword(service, keychainAccount(nodeName, server, 'cert')),
  ]);
  return keyPem && certPem ? { certPem, keyPem } : undefined;
}

/** The stored credential, for `kubejoin credential`. */
export async function readKeychainCredential(env: NodeJS.ProcessEnv, nodeName: string, server: string): Promise<{ certPem: string; keyPem: string }> {
  const service = keychainService(env);
  const pair = await readPair(await loadKeytar(), service, nodeName, server);
  if (!pair) {
    throw new KubejoinError('store-failed', `no credential for node "${nodeName}" at ${server} in the keychain (service "${service}")`, {
      hint: 'Join again with "kubejoin join … --store keychain".',
    });
  }
  return pair;
}
