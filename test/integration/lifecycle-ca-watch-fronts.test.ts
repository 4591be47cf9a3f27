import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { cliEnv, ensureBuilt } from '../helpers/cli.js';
import { faultyFront, type Fault, type Front } from './hostile/front.js';
import { AgentProcess, joinMachine } from './lifecycle-helpers.js';
import { allowWatch, bundleWithNewCa, caLanded, publish } from './lifecycle-ca-watch-plane.js';

// docs/protocol.md §10.6 for the CA follow: a front end of our own before the REAL apiserver
// mangles every watch of cluster-info as proxies do: (a) holds it silent after its headers,
// (b) delivers events only when 64 KiB are held, (c) closes it after 2 s. The node's kubeconfig
// names the front. With --ca-check-interval 15s a CA added to cluster-info lands in the node's
// kubeconfig within one interval (+10 % jitter) and 5 s for the read and the write: the loop
// reads cluster-info after an interval without news, whatever the watch does. The front's log
// shows no tight loop over three intervals: a read per interval of silence, a watch at most
// every 2 s.

let c: ClusterHandle;
before(async () => {
  await ensureBuilt();
  c = await startCluster(); // cluster-info is changed here: no shared cluster may see it
  await allowWatch(c);
});
after(async () => {
  await c?.stop();
});

const INTERVAL_MS = 15_000;
const BOUND_MS = INTERVAL_MS * 1.1 + 5_000;
const CONFIGMAPS = '/api/v1/namespaces/kube-public/configmaps';
const MODES: [string, Fault][] = [
  ['(a) every watch silent after its headers', { kind: 'silent-watch' }],
  ['(b) watch events held until 64 KiB are buffered', { kind: 'buffer-watch', bytes: 64 * 1024 }],
  ['(c) every watch closed after 2 s', { kind: 'close-watch', ms: 2000 }],
];

/** What the agent asked of cluster-info through the front between `from` and `to`. */
function asked(front: Front, from: number, to: number): { reads: number; watches: number; detail: string } {
  const mine = front.log.filter((l) => l.at >= from && l.at <= to);
  return {
    reads: mine.filter((l) => l.request === `GET ${CONFIGMAPS}/cluster-info`).length,
    watches: mine.filter((l) => l.request === `GET ${CONFIGMAPS} (watch)`).length,
    detail: JSON.stringify(mine.map((l) => `${l.at - from} ${l.request}${l.fault ? ` [${l.fault}]` : ''}`)),
  };
}

describe('the CA follow behind a front that mangles watches', { concurrency: false }, () => {
  for (const [name, fault] of MODES) {
    it(`valid: ${name}: a CA added lands within ${BOUND_MS / 1000} s, no tight loop of requests`, { timeout: 180_000 }, async (t) => {
      const m = await joinMachine(t, c, 'file', cliEnv(), 'cafront');
      const front = await faultyFront(c, (_method, path) => (path === `${CONFIGMAPS}?watch` ? fault : undefined), { impersonate: true });
      t.after(() => front.close());
      const conf = await readFile(m.kubeconfig, 'utf8');
      const pointed = conf.replace(/server: \S+/, `server: ${front.server}`);
      assert.notEqual(pointed, conf);
      await writeFile(m.kubeconfig, pointed);

      const started = Date.now();
      const agent = new AgentProcess(m, ['--ca-check-interval', '15s'], m.env);
      t.after(() => void agent.kill());
      await agent.waitFor(/next rotation at/);
      // The first watch is open through the front (and mangled) before the change.
      for (const end = Date.now() + 20_000; !front.log.some((l) => l.fault === fault.kind); await new Promise((r) => setTimeout(r, 100)))
        assert.ok(Date.now() < end, `no watch of cluster-info through the front: ${JSON.stringify(front.log)}\n${agent.stdout}`);
      const next = await bundleWithNewCa(c);
      const at = Date.now();
      await publish(c, next.bundle);
      const ms = await caLanded(m.kubeconfig, next.fingerprint, at, BOUND_MS, () => `${agent.stdout}\n${asked(front, started, Date.now()).detail}`);
      t.diagnostic(`landed ${ms} ms after it was published`);
      await agent.waitFor(/ca-added: CN=kubernetes-next/);
      // Three intervals in all, for the count of requests below.
      await new Promise((r) => setTimeout(r, Math.max(0, started + 3 * INTERVAL_MS - Date.now())));
      const end = await agent.terminate();
      assert.equal(end.code, 0, agent.stderr);
      assert.ok(end.ms < 5_000, `SIGTERM ended the agent in ${end.ms} ms`);
      assert.match(agent.stdout.trim().split('\n').at(-1)!, /stopping: the current credential is unchanged$/);

      const span = Date.now() - started;
      const w = asked(front, started, Date.now());
      t.diagnostic(`${w.reads} reads and ${w.watches} watches of cluster-info in ${span} ms`);
      // A read per interval of silence (each jittered down to 13.5 s); a watch per 2 s at most.
      assert.ok(w.reads <= Math.ceil(span / (INTERVAL_MS * 0.9)) + 1, `${w.reads} reads in ${span} ms: ${w.detail}`);
      assert.ok(w.watches <= Math.ceil(span / 2000) + 1, `${w.watches} watches in ${span} ms: ${w.detail}`);
      if (fault.kind !== 'close-watch') assert.ok(w.watches <= 2, `a silent watch is kept until its timeout, not reopened: ${w.detail}`);
      await publish(c, c.caPem);
    });
  }
});
