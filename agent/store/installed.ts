import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { KubejoinError } from '../errors.js';
import { clusterOf } from '../protocol/kubeconfig.js';
import { writeFileAtomic } from './fs-atomic.js';
import { FileStore } from './file.js';
import { KeychainStore } from './keychain.js';
import { defaultKubeconfigPath } from './paths.js';
import type { InstalledCredential } from './types.js';

export type { CertAndKey, StoredItem } from './pem-pair.js';
export type { InstalledCredential } from './types.js';

// The credential a join left behind, found from the kubeconfig it wrote: its user names
// either the file store's kubelet-client-current.pem or the keychain's exec plugin
// (`kubejoin credential --server S --node-name N`). Used after the join by status,
// renew, the rotation agent and reset (docs/stores.md §7).

export interface LocateOptions {
  /** The kubeconfig a join wrote (default: the join's default path). */
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
}

interface UserShape {
  'client-certificate'?: string;
  'client-key'?: string;
  exec?: { command?: string; args?: string[] };
}

interface KubeconfigUsers {
  users?: { name?: string; user?: UserShape }[];
  contexts?: { name?: string; context?: { user?: string } }[];
  'current-context'?: string;
}

const FOUND = 'found through the kubeconfig';

export function kubeconfigPathOf(opts: LocateOptions): string {
  return resolve(opts.kubeconfig ?? defaultKubeconfigPath(opts.env));
}

/** The stored credential named by the kubeconfig, or undefined when there is no kubeconfig. */
export async function locateCredential(opts: LocateOptions): Promise<InstalledCredential | undefined> {
  const path = kubeconfigPathOf(opts);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new KubejoinError('store-failed', `cannot read ${path}: ${code ?? (err as Error).message}`, {
      hint: 'Run as the user (or root) that joined, or pass --kubeconfig.',
    });
  }
  const notOurs = (why: string): KubejoinError =>
    new KubejoinError('invalid-input', `${path} is not a kubeconfig written by kubejoin join: ${why}`, {
      hint: 'Pass the kubeconfig the join wrote with --kubeconfig.',
    });
  let cluster;
  try {
    cluster = clusterOf(text, path);
  } catch (err) {
    throw notOurs((err as Error).message);
  }
  const doc = (parse(text) ?? {}) as KubeconfigUsers;
  const userName = (doc.contexts ?? []).find((c) => c?.name === doc['current-context'])?.context?.user;
  const user = (doc.users ?? []).find((u) => userName === undefined || u?.name === userName)?.user;
  if (!user) throw notOurs('it has no user');
  const ref = { server: cluster.server, caPem: cluster.caPem };
  const certFile = user['client-certificate'];
  if (certFile) {
    const abs = isAbsolute(certFile) ? certFile : resolve(dirname(path), certFile);
    if (user['client-key'] !== certFile) throw notOurs('its client certificate and key are not one kubelet-style file');
    return new FileStore({ certDir: dirname(abs), kubeconfigPath: path, currentPath: abs }, FOUND, ref) as InstalledCredential;
  }
  const args = user.exec?.args ?? [];
  const at = args.indexOf('credential');
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name, at);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const server = flag('--server');
  const nodeName = flag('--node-name');
  if (at < 0 || !server || !nodeName) throw notOurs('its user is neither a client certificate file nor the "kubejoin credential" exec plugin');
  return new KeychainStore({ nodeName, server, env: opts.env, kubeconfigPath: path }, FOUND, ref) as InstalledCredential;
}

/**
 * Replaces the CA bundle of the kubeconfig's current cluster (certificate-authority-data)
 * with one staged write and rename (docs/stores.md §1), the rest of the file as it was. The
 * file store's kubeconfig and the keychain store's exec kubeconfig are alike here. Returns
 * false, writing nothing, when the kubeconfig no longer holds `expected` (another run
 * changed it). Call it under the run lock (docs/stores.md §8).
 */
export async function replaceCaBundle(kubeconfigPath: string, expected: string, caPem: string): Promise<boolean> {
  const fail = (err: unknown): KubejoinError =>
    new KubejoinError('store-failed', `cannot write ${kubeconfigPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: 'Run the agent as the user (or root) that joined.',
    });
  let text: string;
  let mode: number;
  try {
    text = await readFile(kubeconfigPath, 'utf8');
    mode = (await stat(kubeconfigPath)).mode & 0o777;
  } catch (err) {
    throw fail(err);
  }
  const current = clusterOf(text, kubeconfigPath);
  if (current.caPem !== expected) return false;
  const doc = parseDocument(text);
  const clusters = doc.get('clusters') as { items?: unknown[] } | undefined;
  const index = (doc.toJS() as { clusters?: { name?: string }[] }).clusters?.findIndex((c) => c?.name === current.name) ?? -1;
  if (!clusters?.items || index < 0) return false;
  doc.setIn(['clusters', index, 'cluster', 'certificate-authority-data'], Buffer.from(caPem).toString('base64'));
  try {
    await writeFileAtomic(kubeconfigPath, doc.toString(), mode);
  } catch (err) {
    throw fail(err);
  }
  return true;
}
