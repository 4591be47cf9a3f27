import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { ensureBuilt, kubejoin, spawnKubejoin } from '../helpers/cli.js';
import { AgentProcess, joinMachine, keychainEnv, lc, nodeCsrs, status, whoami, type Joined } from './lifecycle-helpers.js';

// Rotation under real faults, on a cluster of this file's own (its apiserver is stopped and
// restarted, and its auto-approval binding for renewals is removed for a while):
// the apiserver away during a rotation, SIGKILL while a rotation waits for approval, and
// SIGKILL at arbitrary points of a rotation, each followed by a credential that works.

let cluster: ClusterHandle;
const ROTATION_BINDING = 'kubeadm:node-autoapprove-certificate-rotation';

before(async () => {
  await ensureBuilt();
  cluster = await startCluster({ controllerManagerFlags: ['--kube-api-qps=200', '--kube-api-burst=400'] });
});
after(() => cluster?.stop());

async function working(m: Joined, why: string): Promise<void> {
  const who = await whoami(m);
  assert.equal(who.code, 0, `${why}: kubectl failed: ${who.stderr}`);
  assert.equal(who.username, `system:node:${m.node}`, why);
}

/** Spawns `kubejoin renew …` and SIGKILLs it when `until` resolves; returns its stdout so far. */
async function killedRenew(m: Joined, args: string[], until: (stdout: () => string) => Promise<void>): Promise<string> {
  const child = spawnKubejoin(['renew', ...args, ...m.where], m.env);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  await until(() => out);
  child.kill('SIGKILL');
  await exited;
  return out;
}

async function poll(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('rotation under faults (own cluster)', () => {
  it('the apiserver goes away at the deadline: the agent retries with a growing, capped backoff, and rotates once it is back', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    assert.equal((await lc(m, ['renew', '--force', '--expiration-seconds', '600'])).code, 0);
    const agent = new AgentProcess(m, ['--expiration-seconds', '600'], { ...m.env, KUBEJOIN_TEST_CLOCK_SCALE: '60' });
    t.after(() => void agent.kill());
    await agent.waitFor(/next rotation at /);
    await cluster.apiserver!.stop();
    let restarted = false;
    t.after(async () => {
      if (!restarted) await cluster.apiserver!.start();
    });
    await agent.waitFor(/rotation failed \(attempt 6\)/, 1, 60_000);
    const failures = agent.stdout.split('\n').filter((l) => /rotation failed/.test(l));
    for (const line of failures) assert.match(line, /cannot reach the API server https:\/\/127\.0\.0\.1:\d+: connection refused; retrying in /, agent.stdout);
    // 2 s doubling, ±10 %: 2, 4, 8, 16, 32, 64 s (logged unscaled; the test clock waits 60x shorter).
    // humanDuration writes 60 s as "1m", 64 s as "1m 4s".
    const delays = failures.map((l) => /retrying in (?:(\d+)m)? ?(?:(\d+)s)?/.exec(l)!).map((x) => Number(x[1] ?? 0) * 60 + Number(x[2] ?? 0));
    delays.forEach((d, i) => assert.ok(Math.abs(d - 2 * 2 ** i) <= 0.1 * 2 * 2 ** i + 1, `delay ${i + 1} is ${d} s: ${failures[i]}\n${agent.stdout}`));
    await cluster.apiserver!.start();
    restarted = true;
    await agent.waitFor(/ rotated: serial /, 1, 90_000);
    assert.equal((await agent.terminate()).code, 0, agent.stdout + agent.stderr);
    await working(m, `after the outage; agent log:\n${agent.stdout}`);
    const s = await status(m);
    assert.equal(s.code, 0, s.r.stdout);
    assert.equal(s.json.certificate?.serialNumber, [...agent.stdout.matchAll(/rotated: serial [0-9A-F]+ -> ([0-9A-F]+)/g)].at(-1)![1], agent.stdout);
    // The controller-manager's informers come back on their own backoff (client-go's, up to
    // 30 s after an outage); the tests after this one need its bootstrap signer, so the cluster
    // is handed on only once it signs a new token again.
    const probe = (await cluster.createToken()).split('.')[0]!;
    await cluster.waitForSignature(probe, 120_000);
    await cluster.deleteToken(probe);
  });

  it('SIGKILL while the rotation waits for approval: the old credential works; status names the pending CSR; after approval, renew reuses it', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    const binding = await cluster.kubectl(['get', 'clusterrolebinding', ROTATION_BINDING, '-o', 'json']);
    assert.equal(binding.code, 0, binding.stderr);
    assert.equal((await cluster.kubectl(['delete', 'clusterrolebinding', ROTATION_BINDING])).code, 0);
    t.after(async () => {
      // Back as it was, should the test fail before `cluster prepare` puts it back.
      const obj = JSON.parse(binding.stdout) as { metadata: Record<string, unknown> };
      obj.metadata = { name: ROTATION_BINDING };
      await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(obj) });
    });
    const pemBefore = await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8');
    const out = await killedRenew(m, ['--force'], (stdout) =>
      poll('the CSR', () => /waiting for the certificate signing request to be approved/.test(stdout())),
    );
    const csr = /created certificate request (node-csr-\S+) as system:node:/.exec(out)![1]!;

    await working(m, 'after SIGKILL');
    assert.equal(await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8'), pemBefore, 'credential untouched');
    assert.ok((await lstat(join(m.certDir, 'kubelet-client-rotation.key.tmp'))).isFile(), 'rotation key kept');
    const s = await status(m);
    assert.equal(s.code, 0, 'still joined');
    assert.deepEqual(s.json.pending, [
      {
        kind: 'rotation',
        csrName: csr,
        keyLocation: join(m.certDir, 'kubelet-client-rotation.key.tmp'),
        approveCommand: `kubectl certificate approve ${csr}`,
        state: 'pending',
      },
    ]);
    const text = await lc(m, ['status']);
    assert.match(text.stdout, new RegExp(`Pending rotation:\\s+certificate request ${csr} \\(pending\\)`));
    assert.match(text.stdout, new RegExp(`approve with:\\s+kubectl certificate approve ${csr}`));

    const approve = await cluster.kubectl(['certificate', 'approve', csr]);
    assert.equal(approve.code, 0, approve.stderr);
    const r = await lc(m, ['renew']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /finishing an interrupted renewal/);
    assert.match(r.stdout, new RegExp(`reusing certificate request ${csr} from an earlier run`));
    const csrs = await nodeCsrs(cluster, m.node);
    assert.deepEqual(
      csrs.map((c) => c.name),
      [csr],
      'no second CSR',
    );
    await working(m, 'after the resumed renew');
    assert.equal((await status(m)).json.pending, undefined);

    // `kubejoin cluster prepare` creates kubeadm's renewal binding again: renewals are auto-approved.
    const prepared = await kubejoin(['cluster', 'prepare', '--kubeconfig', cluster.adminKubeconfig]);
    assert.equal(prepared.code, 0, prepared.stderr);
    assert.match(prepared.stdout, new RegExp(`^created ClusterRoleBinding ${ROTATION_BINDING}$`, 'm'));
    const auto = await lc(m, ['renew', '--force', '--timeout', '60s'], { timeoutMs: 90_000 });
    assert.equal(auto.code, 0, auto.stderr);
    assert.deepEqual(
      (await nodeCsrs(cluster, m.node)).map((c) => c.conditions),
      [['Approved'], ['Approved']],
    );
  });

  for (const store of ['file', 'keychain'] as const) {
    it(`SIGKILL at each step of a rotation (${store} store): a working credential every time`, async (t) => {
      const env = store === 'keychain' ? await keychainEnv(t) : undefined;
      if (typeof env === 'string') return t.skip(env);
      const m = await joinMachine(t, cluster, store, env);
      // Kill when a step's line appears, plus a few ms: before the CSR, while waiting, after the
      // issue (checking, proving, committing the two files or the keychain entries), after storing.
      const points: [RegExp, number][] = [
        [/^/, 0],
        [/(created|reusing) certificate request/, 0],
        [/(created|reusing) certificate request/, 5],
        ...[0, 2, 5, 10, 20, 40, 80].map((ms): [RegExp, number] => [/issued: serial/, ms]),
        [/stored: /, 0],
      ];
      const landed: string[] = [];
      for (const [pattern, ms] of points) {
        const out = await killedRenew(m, ['--force'], async (stdout) => {
          // A run that resumes an interrupted rotation may skip steps: then it just finishes.
          await poll(`${pattern}`, () => pattern.test(stdout()) || /^Renewed: /m.test(stdout()), 30_000);
          await new Promise((r) => setTimeout(r, ms));
        });
        const last = out.trim().split('\n').at(-1) || '(before any output)';
        landed.push(`${pattern} +${ms} ms: last line "${last}"`);
        await working(m, `killed at ${pattern} +${ms} ms (${last})`);
        const s = await status(m);
        assert.equal(s.code, 0, `status after a kill at ${pattern} +${ms} ms: ${s.r.stdout}`);
      }
      const done = await lc(m, ['renew', '--force']);
      assert.equal(done.code, 0, done.stderr);
      await working(m, 'after a full renew');
      t.diagnostic(`where the kills landed:\n${landed.join('\n')}`);
    });
  }
});
