import type { InstalledCredential } from '../../../agent/store/installed.js';

/** A file store found after a join, holding `current()`: only what the agent loop reads. */
export function fakeInstalled(current: () => Promise<{ certPem: string; keyPem: string } | undefined>): InstalledCredential {
  const none = async (): Promise<undefined> => undefined;
  const unused = async (): Promise<never> => {
    throw new Error('not used by the agent loop');
  };
  return {
    kind: 'file',
    reason: 'test',
    lockDirs: [],
    lock: async () => async () => {},
    loadPendingKey: none,
    savePendingKey: unused,
    discardPending: async () => {},
    loadCredential: none,
    stage: unused,
    save: unused,
    kubeconfigPath: '/k.conf',
    cluster: { server: 'https://10.0.0.1:6443', caPem: '' },
    rotationKeyLocation: '/pki/kubelet-client-rotation.key.tmp',
    describe: () => ({ kind: 'file', reason: 'test', kubeconfigPath: '/k.conf', location: '/pki/kubelet-client-current.pem' }),
    load: current,
    loadRotationKey: none,
    saveRotationKey: async () => {},
    discardRotationKey: async () => {},
    replace: async () => {},
    loadUncommitted: none,
    inventory: async () => [],
    remove: async () => [],
  };
}
