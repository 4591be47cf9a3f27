// The one cluster a test process shares: KUBEJOIN_TEST_CLUSTER=<stateDir> attaches to a
// cluster from `npm run cluster -- up`; otherwise one is started on first use and stopped
// when the process is about to exit.
import { attachCluster, startCluster } from './cluster.js';
import type { ClusterHandle } from './handle.js';

let shared: Promise<ClusterHandle> | undefined;

/** stop() of the shared handle does nothing: other tests still use the cluster. */
export function testCluster(): Promise<ClusterHandle> {
  shared ??= (async () => {
    const dir = process.env.KUBEJOIN_TEST_CLUSTER;
    if (dir) {
      const h = await attachCluster(dir);
      return { ...h, stop: async () => {} };
    }
    const verbose = process.env.KUBEJOIN_HARNESS_VERBOSE === '1';
    const h = await startCluster(verbose ? { log: (l) => process.stderr.write(`[cluster] ${l}\n`) } : {});
    // The cluster does not keep the event loop alive, so 'beforeExit' comes once the tests
    // are done: stop it there (and wait). A hard exit is covered by the supervisor.
    let stopped = false;
    process.on('beforeExit', () => {
      if (stopped) return;
      stopped = true;
      void h.stop();
    });
    return { ...h, stop: async () => {} };
  })();
  return shared;
}
