import type { StoreKind } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { FileStore } from './file.js';
import { KeychainStore, keychainHint, probeKeychain } from './keychain.js';
import type { Store, StoreTarget } from './types.js';

export type StoreChoice = { kind: 'keychain' | 'file'; reason: string };

/**
 * Decides the store before any credential exists: `keychain` must be reachable (exit 7
 * otherwise), `file` is taken as asked, `auto` takes the keychain when one answers.
 */
export async function chooseStore(kind: StoreKind, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<StoreChoice> {
  if (kind === 'file') return { kind: 'file', reason: 'file store requested (--store file)' };
  const problem = await probeKeychain(env, signal);
  if (kind === 'keychain') {
    if (problem) throw new KubejoinError('store-failed', `--store keychain was requested but ${problem}`, { hint: keychainHint(problem) });
    return { kind: 'keychain', reason: 'keychain store requested (--store keychain)' };
  }
  return problem
    ? { kind: 'file', reason: `auto: ${problem}; using kubelet-compatible files` }
    : { kind: 'keychain', reason: 'auto: the OS keychain is reachable' };
}

export function openStore(choice: StoreChoice, target: StoreTarget): Store {
  return choice.kind === 'keychain' ? KeychainStore.forTarget(target, choice.reason) : FileStore.forTarget(target, choice.reason);
}
