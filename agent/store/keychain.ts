import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { crashPoint } from './crash-point.js';
import { fileStoreError } from './errno.js';
import { ensureDir, stageFile, sweepTemporaries, type StagedFile } from './fs-atomic.js';
import { KeychainCallError, runKeytar, type KeytarOp } from './keytar-child.js';
import { isSingleExecutable } from './keytar-loader.js';
import { assertStaged } from './journal.js';
import { acquireRunLocks, type LockOptions, type Release } from './lock.js';
import { renderKubeconfig } from '../protocol/kubeconfig.js';
import { defaultKubeconfigPath } from './paths.js';
import type { ClusterRef, CredentialStore, ExistingCredential, StagedCredential, StoreTarget } from './types.js';

// The OS keychain through keytar: Secret Service on Linux, Keychain on macOS, Credential
// Manager on Windows. Certificate and key are one entry (`#credential`), under Windows'
// 2,500-byte limit, so they are replaced together. Every call runs in a bounded child
// process (keytar-child.ts). The kubeconfig holds no secret: kubectl runs `kubejoin credential`.

/** Windows Credential Manager's limit for one secret. */
export const MAX_ENTRY_BYTES = 2500;
const PROBE_ACCOUNT = 'kubejoin-probe';

export function keychainService(env: NodeJS.ProcessEnv): string {
  return env.KUBEJOIN_KEYCHAIN_SERVICE || 'kubejoin';
}

export type Entry = 'credential' | 'key' | 'cert' | 'pending-key' | 'rotation-key' | 'rotation-cert';

export function keychainAccount(nodeName: string, server: string, entry: Entry): string {
  return `${nodeName}@${server}#${entry}`;
}

function words(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0] ?? '';
}

/**
 * Why the keychain cannot be used, in words for the operator; undefined when it can. It
 * writes and removes a probe entry: a locked collection refuses that in words, where a read
 * would look empty (and listing one crashes libsecret).
 */
export async function probeKeychain(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string | undefined> {
  const service = keychainService(env);
  try {
    await runKeytar(
      [
        { op: 'set', service, account: PROBE_ACCOUNT, password: 'probe' },
        { op: 'delete', service, account: PROBE_ACCOUNT },
      ],
      { env, ...(signal ? { signal } : {}) },
    );
    return undefined;
  } catch (err) {
    if (err instanceof KeychainCallError && err.kind === 'cancelled')
      throw new KubejoinError('internal', 'the join was cancelled while the keychain was probed');
    const message = words(err);
    if (/locked/i.test(message)) return `the keychain's collection is locked (${message})`;
    if (process.platform === 'linux') {
      if (/D-Bus|DBUS|dbus|Could not connect|autolaunch/.test(message)) {
        return `no D-Bus session bus is reachable for the Secret Service (DBUS_SESSION_BUS_ADDRESS=${env.DBUS_SESSION_BUS_ADDRESS ?? 'unset'}: ${message})`;
      }
      if (/org\.freedesktop\.secrets|ServiceUnknown/.test(message))
        return `no Secret Service (gnome-keyring or KWallet) is running on the session bus (${message})`;
    }
    return `the keychain is not usable: ${message}`;
  }
}

export function keychainHint(): string {
  return process.platform === 'linux'
    ? 'Unlock the keyring (log in to the desktop session, or start it with "gnome-keyring-daemon --unlock" inside a D-Bus session), or use --store file.'
    : 'Unlock the login keychain, or use --store file.';
}

export function keychainFailure(action: string, err: unknown): KubejoinError {
  return new KubejoinError('store-failed', `cannot ${action} in the keychain: ${words(err)}`, { hint: keychainHint() });
}

export class KeychainStore implements CredentialStore {
  readonly kind = 'keychain' as const;
  private readonly service: string;
  private readonly kubeconfigPath: string;
  /** This run loaded or wrote the pending entry: a denial removes it. */
  private hasPending = false;
  private locked = false;

  constructor(
    private readonly target: StoreTarget,
    readonly reason: string,
  ) {
    this.service = keychainService(target.env);
    this.kubeconfigPath = resolve(target.kubeconfigOut ?? defaultKubeconfigPath(target.env));
  }

  private account(entry: Entry): string {
    return keychainAccount(this.target.nodeName, this.target.server, entry);
  }

  private run(ops: KeytarOp[]): ReturnType<typeof runKeytar> {
    return runKeytar(ops, { env: this.target.env, ...(this.target.signal ? { signal: this.target.signal } : {}) });
  }

  /** The kubeconfig's directory holds the run lock (docs/stores.md §8). */
  get lockDirs(): string[] {
    return [dirname(this.kubeconfigPath)];
  }

  async lock(opts: LockOptions = {}): Promise<Release> {
    const release = await acquireRunLocks(this.lockDirs, { ...opts, create: true });
    this.locked = true;
    return async () => {
      this.locked = false;
      await release();
    };
  }

  async loadPendingKey(): Promise<string | undefined> {
    // Only under the run lock: a sweep must never remove the staged kubeconfig of a live run.
    if (!this.locked) throw new KubejoinError('internal', `the keychain store was used without its run lock on ${dirname(this.kubeconfigPath)}`);
    await sweepTemporaries(dirname(this.kubeconfigPath));
    try {
      const [pem] = await this.run([{ op: 'get', service: this.service, account: this.account('pending-key') }]);
      if (typeof pem === 'string' && pem) this.hasPending = true;
      return typeof pem === 'string' && pem ? pem : undefined;
    } catch (err) {
      throw keychainFailure('read the pending key', err);
    }
  }

  async savePendingKey(keyPem: string): Promise<void> {
    try {
      await this.run([{ op: 'set', service: this.service, account: this.account('pending-key'), password: keyPem }]);
      this.hasPending = true;
    } catch (err) {
      throw keychainFailure('save the pending key', err);
    }
    crashPoint('pending-key-saved');
  }

  async loadCredential(): Promise<ExistingCredential | undefined> {
    let pair: { certPem: string; keyPem: string } | undefined;
    try {
      pair = await readPair(this.target.env, this.target.nodeName, this.target.server, this.target.signal);
    } catch (err) {
      throw keychainFailure('read the credential', err);
    }
    if (!pair || !existsSync(this.kubeconfigPath)) return undefined;
    return { ...pair, stored: this.stored() };
  }

  private stored(): StoredCredential {
    return {
      kind: 'keychain',
      reason: this.reason,
      kubeconfigPath: this.kubeconfigPath,
      location: `keychain service "${this.service}", account "${this.account('credential').replace(/#credential$/, '')}"`,
    };
  }

  async stage(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StagedCredential> {
    const entry = `${certPem.trim()}\n${keyPem.trim()}\n`;
    if (Buffer.byteLength(entry) >= MAX_ENTRY_BYTES) {
      throw new KubejoinError(
        'store-failed',
        `the certificate and key are ${Buffer.byteLength(entry)} bytes, over the keychain's ${MAX_ENTRY_BYTES}-byte limit per entry`,
        {
          hint: 'Use --store file.',
        },
      );
    }
    // The packaged single executable is its own exec plugin, wherever it was installed.
    const command = isSingleExecutable() ? { command: process.execPath, args: [] } : (this.target.credentialCommand ?? { command: 'kubejoin', args: [] });
    const kubeconfig = renderKubeconfig(cluster, {
      kind: 'exec',
      command: command.command,
      args: [...command.args, 'credential', '--server', this.target.server, '--node-name', this.target.nodeName],
    });
    let staged: StagedFile;
    try {
      await ensureDir(dirname(this.kubeconfigPath), 0o700);
      staged = await stageFile(this.kubeconfigPath, kubeconfig, 0o600);
    } catch (err) {
      throw fileStoreError('write', this.kubeconfigPath, err);
    }
    crashPoint('credential-staged');
    const s = this.service;
    return {
      abort: () => staged.abort(),
      commit: async () => {
        // One entry holds the pair: a kill leaves the old pair or the new one (§2).
        try {
          await assertStaged(staged);
          await this.run([{ op: 'set', service: s, account: this.account('credential'), password: entry }]);
        } catch (err) {
          await staged.abort();
          if (err instanceof KubejoinError) throw err;
          throw keychainFailure('store the credential', err);
        }
        crashPoint('keychain-entry-written');
        try {
          await staged.commit();
        } catch (err) {
          throw fileStoreError('write', this.kubeconfigPath, err);
        }
        await this.run((['pending-key', 'key', 'cert'] as const).map((e) => ({ op: 'delete' as const, service: s, account: this.account(e) }))).catch(
          () => undefined,
        );
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
    await this.run([{ op: 'delete', service: this.service, account: this.account('pending-key') }]).catch(() => false);
    this.hasPending = false;
  }
}

const CERTS = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/;

/** The pair from the one `#credential` entry, or from the separate entries older versions wrote. */
export async function readPair(
  env: NodeJS.ProcessEnv,
  nodeName: string,
  server: string,
  signal?: AbortSignal,
): Promise<{ certPem: string; keyPem: string } | undefined> {
  const service = keychainService(env);
  const [one, keyPem, certPem] = await runKeytar(
    (['credential', 'key', 'cert'] as const).map((e) => ({ op: 'get' as const, service, account: keychainAccount(nodeName, server, e) })),
    { env, ...(signal ? { signal } : {}) },
  );
  if (typeof one === 'string' && one) {
    const certs = one.match(CERTS);
    const key = one.match(KEY);
    return certs && key ? { certPem: `${certs.join('\n')}\n`, keyPem: `${key[0]}\n` } : undefined;
  }
  return typeof keyPem === 'string' && keyPem && typeof certPem === 'string' && certPem ? { certPem, keyPem } : undefined;
}
