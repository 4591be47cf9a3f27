import { KubejoinError } from '../errors.js';
import type { CertAndKey, InstalledCredential } from '../store/installed.js';
import { createAgent, sharedAgent, stream, TransportError, type TrustAgent } from '../transport/http.js';
import { watchUntil, endedByStatus, type WatchEnd, type WatchQuery } from '../watch/loop.js';
import type { Clock } from './clock.js';
import type { CaFollower } from './ca-follow.js';

// How the agent follows kube-public/cluster-info (docs/operations.md, "CA rotation"): a watch
// in the product's one watch loop (agent/watch, docs/protocol.md §10.6) over the node session,
// its events applied at once by the follower's rules. The loop's read on silence is the
// follower's check, after `--ca-check-interval` without news (bookmarks count: a healthy watch
// costs a request every WATCH_SECONDS). Where neither the node nor anonymous may watch
// cluster-info (kubeadm's RBAC lets only system:anonymous get it), the follow reads it every
// interval instead, says once how to allow the watch, and tries the watch again every hour.

/** The server ends each watch after this long; the loop opens the next one. */
export const WATCH_SECONDS = 300;
/** While the watch is forbidden, it is tried again this often (the RBAC may have been granted). */
export const WATCH_AGAIN_MS = 60 * 60_000;
const CLUSTER_INFO_WATCH = '/api/v1/namespaces/kube-public/configmaps';

export interface FollowDeps {
  /** The stored credential and its certificate, found again for every watch and read (a rotation, a re-join). */
  current: () => Promise<{ installed: InstalledCredential; pair: CertAndKey }>;
  clock: Clock;
  signal: AbortSignal;
}

interface WatchEvent {
  type?: string;
  object?: { metadata?: { resourceVersion?: string } };
}

/**
 * Follows the bundle until `signal` aborts (then it resolves). Throws only what ends the
 * node's credential (`credential-refused`, HTTP 401): the agent joins again. Anything else is
 * logged and tried again, never more often than the interval once it persists.
 */
export async function followCaBundleForever(follower: CaFollower, deps: FollowDeps): Promise<void> {
  const { clock, signal } = deps;
  const log = follower.config.log;
  let degradedAt: number | undefined;
  let failures = 0;
  const state = { watching: false };
  while (!signal.aborted) {
    try {
      if (degradedAt === undefined || clock.now() - degradedAt >= WATCH_AGAIN_MS) {
        const outcome = await watchBundle(follower, deps, state);
        if (outcome === 'aborted') return;
        if (outcome === 'forbidden') {
          if (degradedAt === undefined)
            log(
              `CA follow: the cluster lets neither this node nor anonymous watch kube-public/cluster-info (HTTP 403): reading it every ${follower.intervalMs / 1000} s instead. To allow the watch, run "kubejoin cluster prepare" on the control plane (it grants get, list and watch on cluster-info to the group system:nodes)`,
            );
          degradedAt = clock.now();
          state.watching = false;
        }
      }
      // The periodic read (the watch is forbidden): now, then every interval.
      const { installed, pair } = await deps.current();
      await follower.check(installed, pair, clock.now(), signal);
      failures = 0;
      await clock.sleepUntil(follower.nextCheckAt, signal);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof KubejoinError && err.category === 'credential-refused') throw err;
      failures += 1;
      const wait = Math.min(follower.intervalMs, 1000 * 2 ** Math.min(failures, 20));
      log(`CA follow: ${(err as Error).message}; trying again in ${Math.round(wait / 1000)} s`);
      await clock.sleepUntil(clock.now() + wait, signal).catch(() => undefined);
    }
  }
}

/** Watches until the signal aborts ('aborted'), or the watch is forbidden to the node and to anonymous ('forbidden'). */
async function watchBundle(follower: CaFollower, deps: FollowDeps, state: { watching: boolean }): Promise<'forbidden' | 'aborted'> {
  const { clock, signal } = deps;
  const log = follower.config.log;
  const proxy = follower.config.proxy;
  let rv: string | undefined;
  let anonymous = false;

  /** One watch with `agent`: how it ended, or the 401/403 that refused it. */
  const watchWith = async (
    agent: TrustAgent,
    url: string,
    one: AbortSignal,
    heard: () => void,
    found: { installed: InstalledCredential; pair: CertAndKey },
  ): Promise<WatchEnd<'forbidden'> | { kind: 'refused'; status: number }> => {
    try {
      for await (const item of stream({ url, agent, signal: one, timeoutMs: (WATCH_SECONDS + 30) * 1000, what: 'one watch event of cluster-info' })) {
        if (item.status === 401 || item.status === 403) return { kind: 'refused', status: item.status };
        if (item.status === 410) return ((rv = undefined), { kind: 'ended', resync: true });
        if (item.status !== 200) return endedByStatus(item.status, item.body ?? '', item.headers);
        if (!state.watching)
          log(`CA follow: watching kube-public/cluster-info${anonymous ? ' anonymously' : ''}; read again after ${follower.intervalMs / 1000} s of silence`);
        state.watching = true;
        heard();
        const event = JSON.parse(item.line!) as WatchEvent;
        if (event.type === 'ERROR') return ((rv = undefined), { kind: 'ended', resync: true }); // 410 Gone: too old
        rv = event.object?.metadata?.resourceVersion ?? rv;
        if (event.type === 'BOOKMARK') follower.confirmed(clock.now());
        else if (event.type === 'DELETED') log('CA check: kube-public/cluster-info was deleted; the stored CAs are unchanged');
        else if (event.type === 'ADDED' || event.type === 'MODIFIED')
          // The follow's own signal: a watch replaced meanwhile must not cut a write or the hook short.
          await follower.applyObject(found.installed, found.pair, event.object, clock.now(), signal);
      }
      return { kind: 'ended' };
    } catch (err) {
      if (!one.aborted && err instanceof TransportError) return { kind: 'ended', trouble: `the watch broke: ${err.message}` };
      throw err;
    }
  };

  const open = async (query: WatchQuery, one: AbortSignal, heard: () => void): Promise<WatchEnd<'forbidden'>> => {
    const found = await deps.current();
    const { cluster } = found.installed;
    const params = new URLSearchParams({ fieldSelector: 'metadata.name=cluster-info', watch: 'true' });
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const url = `${cluster.server}${CLUSTER_INFO_WATCH}?${params.toString()}`;
    if (!anonymous) {
      const node = createAgent({ ca: cluster.caPem, cert: found.pair.certPem, key: found.pair.keyPem, proxy });
      try {
        const ended = await watchWith(node, url, one, heard, found);
        if (ended.kind !== 'refused') return ended;
        if (ended.status === 401)
          throw new KubejoinError('credential-refused', `the cluster refused the node's certificate while reading cluster-info (HTTP 401)`);
      } finally {
        node.destroy();
      }
      anonymous = true; // 403 for the node: the same watch without the client certificate, over the same trust
    }
    const ended = await watchWith(sharedAgent({ ca: cluster.caPem, proxy }, 'watch'), url, one, heard, found);
    return ended.kind === 'refused' ? { kind: 'done', value: 'forbidden' } : ended;
  };

  const jittered = Math.round(follower.intervalMs * (0.9 + 0.2 * follower.random()));
  try {
    return await watchUntil<'forbidden'>({
      what: 'the watch of kube-public/cluster-info',
      timeoutSeconds: WATCH_SECONDS,
      idleMs: jittered,
      signal,
      resourceVersion: () => rv,
      open,
      read: async (one) => {
        const { installed, pair } = await deps.current();
        await follower.check(installed, pair, clock.now(), one);
        return undefined;
      },
      // After trouble the next watch waits longer each time, up to the interval (a server
      // that stays away, or a proxy that ends every watch, costs a request an interval).
      delayMs: (n) => {
        const ceiling = Math.min(jittered, 500 * 2 ** Math.min(Math.max(0, n - 2), 20));
        return Math.round(ceiling / 2 + (follower.random() * ceiling) / 2);
      },
    });
  } catch (err) {
    if (signal.aborted) return 'aborted';
    throw err;
  }
}
