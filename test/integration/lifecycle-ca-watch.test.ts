import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { certificatesOf } from '../../agent/protocol/pin.js';
import { cliEnv, ensureBuilt } from '../helpers/cli.js';
import { AgentProcess, joinMachine } from './lifecycle-helpers.js';
import { allowWatch, bundleWithNewCa, caLanded, publish, storedCas } from './lifecycle-ca-watch-plane.js';

// docs/operations.md, "CA rotation": the agent follows kube-public/cluster-info by a watch in
// the one watch loop, and reads it only after --ca-check-interval of silence. On a cluster of
// its own (cluster-info is changed here), with RBAC as kubeadm sets it up (only
// system:anonymous may get cluster-info: no watch), the agent says once how to allow the watch
// and follows by reads; after `kubejoin cluster prepare` (system:nodes may get, list and watch
// cluster-info) a CA added is in the node's kubeconfig within 20 s although the interval is 10
// minutes: the watch brought it, not a read.

let c: ClusterHandle;
before(async () => {
  await ensureBuilt();
  c = await startCluster();
});
after(async () => {
  await c?.stop();
});

const WATCH_BOUND_MS = 20_000;
const DEGRADED =
  /CA follow: the cluster lets neither this node nor anonymous watch kube-public\/cluster-info \(HTTP 403\): reading it every 3 s instead\. To allow the watch, run \\?"kubejoin cluster prepare\\?" on the control plane/;

interface JsonLine {
  time: string;
  event?: string;
  message: string;
}
const lines = (a: AgentProcess): JsonLine[] =>
  a.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JsonLine);

describe('the agent follows the CA bundle by a watch', { concurrency: false }, () => {
  it("valid: kubeadm's RBAC (get only): the watch is forbidden, the agent says once how to allow it and follows by reads", { timeout: 120_000 }, async (t) => {
    const m = await joinMachine(t, c, 'file', cliEnv(), 'cawget');
    const agent = new AgentProcess(m, ['--ca-check-interval', '3s', '-o', 'json'], m.env);
    t.after(() => void agent.kill());
    await agent.waitFor(DEGRADED);
    const next = await bundleWithNewCa(c);
    const at = Date.now();
    await publish(c, next.bundle);
    // A read every 3 s (±10 %): the change lands within an interval and the read's time.
    const ms = await caLanded(m.kubeconfig, next.fingerprint, at, 3_300 + 5_000, () => agent.stdout);
    t.diagnostic(`landed ${ms} ms after it was published (reads every 3 s)`);
    await agent.waitFor(/ca-added: CN=kubernetes-next/);
    await agent.waitFor(DEGRADED, 1);
    await new Promise((r) => setTimeout(r, 7_000)); // more reads: the line is not said again
    assert.equal(agent.count(DEGRADED), 1, 'the fallback is said once');
    assert.doesNotMatch(agent.stdout, /CA follow: watching/);
    const end = await agent.terminate();
    assert.equal(end.code, 0, agent.stderr);
    assert.ok(end.ms < 5_000, `SIGTERM ended the agent in ${end.ms} ms`);
    assert.match(lines(agent).at(-1)!.message, /^stopping: the current credential is unchanged$/);
    assert.deepEqual(
      lines(agent)
        .filter((l) => l.event)
        .map((l) => l.event),
      ['ca-added'],
    );
    assert.deepEqual(await storedCas(m.kubeconfig), certsOf(next.bundle));
    await publish(c, c.caPem);
  });

  it('valid: `kubejoin cluster prepare` grants the watch; with --ca-check-interval 10m a CA added lands within 20 s', { timeout: 120_000 }, async (t) => {
    const prepared = await allowWatch(c);
    assert.match(prepared, /^created Role kube-public\/kubejoin:cluster-info-watch$/m);
    assert.match(prepared, /^created RoleBinding kube-public\/kubejoin:cluster-info-watch$/m);
    assert.match(await allowWatch(c), /Nothing changed: the cluster was already prepared \(8 objects up to date\)/);

    const m = await joinMachine(t, c, 'file', cliEnv(), 'cawatch');
    const hookLog = join(m.dir, 'on-ca-change.log');
    const agent = new AgentProcess(m, ['--ca-check-interval', '10m', '-o', 'json', '--on-ca-change', `echo changed >> ${hookLog}`], m.env);
    t.after(() => void agent.kill());
    await agent.waitFor(/CA follow: watching kube-public\/cluster-info; read again after 600 s of silence/);
    const next = await bundleWithNewCa(c);
    const at = Date.now();
    await publish(c, next.bundle);
    const ms = await caLanded(m.kubeconfig, next.fingerprint, at, WATCH_BOUND_MS, () => agent.stdout);
    t.diagnostic(`landed ${ms} ms after it was published (the interval is 10 minutes)`);
    await agent.waitFor(/--on-ca-change: exit 0/);
    assert.equal(await readFile(hookLog, 'utf8'), 'changed\n');
    assert.doesNotMatch(agent.stdout, /CA follow: the cluster lets neither/);
    assert.match(agent.stdout, /the CA bundle changed: client certificate renewal scheduled at /);
    const end = await agent.terminate();
    assert.equal(end.code, 0, agent.stderr);
    assert.ok(end.ms < 5_000, `SIGTERM ended the agent in ${end.ms} ms`);
    const events = lines(agent).filter((l) => l.event);
    assert.deepEqual(
      events.map((e) => e.event),
      ['ca-added'],
    );
    assert.match(events[0]!.message, /^ca-added: CN=kubernetes-next \(SHA-256 fingerprint /);
    assert.deepEqual(await storedCas(m.kubeconfig), certsOf(next.bundle));
    await publish(c, c.caPem);
  });
});

function certsOf(bundle: string): string[] {
  return certificatesOf(bundle).map((x) => x.fingerprint256);
}
