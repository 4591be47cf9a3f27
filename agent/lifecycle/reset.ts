import { KubejoinError } from '../errors.js';
import { kubeconfigPathOf, locateCredential, type StoredItem } from '../store/installed.js';
import { withRunLocks } from '../store/lock.js';
import { FileStore } from '../store/file.js';
import { deleteKeychainAccount, keychainService, pendingJoinEntries } from '../store/keychain.js';
import { defaultCertDir } from '../store/paths.js';
import { certificateFacts } from './deadline.js';

// `kubejoin reset`: undo a join on this machine. Removes the credential, the kubeconfig
// and every pending key (an unfinished join's or rotation's), keychain entries included.
// It never touches the cluster; it says what an administrator may want to do there.

export interface ResetOptions {
  kubeconfig?: string;
  certDir?: string;
  env: NodeJS.ProcessEnv;
}

export interface ResetPlan {
  /** What exists and would be removed (empty: nothing to do). */
  items: StoredItem[];
  nodeName?: string;
  /** Lines for the administrator (reset does not change the cluster). */
  adminAdvice: string[];
  /** Removes `items`; returns what was removed. */
  apply(): Promise<StoredItem[]>;
}

export async function planReset(opts: ResetOptions): Promise<ResetPlan> {
  const installed = await locateCredential({ env: opts.env, ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}) }).catch((err: unknown) => {
    // A kubeconfig that is not ours is left alone; the file-store leftovers are still looked for.
    if (err instanceof KubejoinError && err.category === 'invalid-input') return undefined;
    throw err;
  });
  let nodeName: string | undefined;
  let notAfter: string | undefined;
  const pair = await installed?.load().catch(() => undefined);
  if (pair) {
    const facts = certificateFacts(pair.certPem);
    nodeName = facts.nodeName;
    notAfter = facts.notAfter;
  }
  // The credential the kubeconfig names, or, without one, what a join may have left in the cert dir.
  const primary =
    installed ?? new FileStore({ certDir: opts.certDir ?? defaultCertDir(opts.env), kubeconfigPath: kubeconfigPathOf(opts) }, 'leftovers of a join');
  const items = await primary.inventory();
  const service = keychainService(opts.env);
  const seen = new Set(items.map((i) => i.where));
  const pendingEntries = (await pendingJoinEntries(opts.env).catch(() => [])).filter((e) => !seen.has(`keychain service "${service}", account "${e.account}"`));
  for (const e of pendingEntries) items.push({ what: 'key of an unfinished join', where: `keychain service "${service}", account "${e.account}"` });

  const adminAdvice = [
    'This machine only forgets its credential: nothing was changed in the cluster. An administrator may want to:',
    ...(nodeName ? [`  kubectl delete node ${nodeName}          # if a kubelet registered the node`] : []),
    `  kubectl get csr -o wide                  # and "kubectl delete csr <name>" for this node's requests${nodeName ? ` (requestor system:node:${nodeName} or system:bootstrap:<id>)` : ''}`,
    '  kubejoin token delete <id>               # the bootstrap token, if nothing else needs it',
    ...(notAfter ? [`The certificate cannot be revoked: it stays valid until ${notAfter}; keep no copy of it.`] : []),
  ];
  return {
    items,
    ...(nodeName ? { nodeName } : {}),
    adminAdvice,
    async apply() {
      if (items.length === 0) return [];
      // Not while a join or a rotation works on this store (docs/stores.md §8); the question
      // before it is asked without the lock, so nobody waits for a person.
      return withRunLocks(primary.lockDirs, {}, async () => {
        const removed = await primary.remove();
        for (const e of pendingEntries) await deleteKeychainAccount(opts.env, e.account);
        return [...removed, ...items.filter((i) => !removed.some((r) => r.where === i.where))];
      });
    },
  };
}
