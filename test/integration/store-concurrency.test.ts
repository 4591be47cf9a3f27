import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { cliEnv, ensureBuilt, spawnKubejoin, tokenJoinArgs, uniqueName, writeTokenFile } from '../helpers/cli.js';
import { eventually, sleep } from '../helpers/poll.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { certSpki, csrsOfToken, joinArgs, keySpki, kubejoinRun, readOptional } from './fault-helpers.js';
import { AgentProcess, joinMachine, lc, whoami, type Joined } from './lifecycle-helpers.js';

// docs/stores.md §8: one run at a time on a cert dir. Real runs of the built CLI at once
// against the real control plane; a run paused (SIGSTOP) while it holds the lock, with its
// staged files, to change the disk under it for real.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const PEM = 'pki/kubelet-client-current.pem';
const BUSY = /another kubejoin is running \(pid \d+\) on .*; waited [\d.]+ s for it/;

async function noLockLeft(dir: string): Promise<void> {
  for (const path of [join(dir, '.kubejoin.lock'), join(dir, 'pki', '.kubejoin.lock')])
    await assert.rejects(lstat(path), { code: 'ENOENT' }, `${path} is released`);
}

/** A join started with KUBEJOIN_TEST_STOP_AT: resolves once it has stopped itself there. */
async function pausedJoin(args: string[], point: string): Promise<{ pid: number; done: Promise<{ code: number | null; out: string }> }> {
  const child = spawnKubejoin(args, cliEnv({ KUBEJOIN_TEST_STOP_AT: point }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; out: string }>((res) => child.on('close', (code) => res({ code, out })));
  const pid = child.pid!;
  await eventually(
    `the join to stop at ${point}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`the join ended before ${point}: ${out}`);
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T') ? true : undefined;
    },
    60_000,
  );
  return { pid, done };
}

describe('one run at a time on a cert dir', { skip: process.platform === 'linux' ? false : 'SIGSTOP and /proc: Linux only' }, () => {
  it('valid: four joins at once (same token, node, cert dir): one CSR, one working credential, the others wait or give up cleanly', async (t) => {
    const dir = await workdir(t);
    // A group allowed to request node certificates but not auto-approved: every run is still
    // at work when the first CSR shows up, so the four overlap for certain.
    const group = `system:bootstrappers:${uniqueName('manual')}`;
    const binding = await cluster.kubectl(['create', 'clusterrolebinding', group.split(':')[2]!, '--clusterrole=system:node-bootstrapper', `--group=${group}`]);
    assert.equal(binding.code, 0, binding.stderr);
    t.after(() => cluster.kubectl(['delete', 'clusterrolebinding', group.split(':')[2]!]));
    const token = await cluster.signedToken({ groups: [group] });
    const node = uniqueName('four');
    const args = joinArgs(cluster, await writeTokenFile(dir, token), node, dir);

    const all = Promise.all([1, 2, 3, 4].map(() => kubejoinRun(args)));
    let ended = false;
    void all.finally(() => (ended = true));
    while (!ended) {
      for (const csr of await csrsOfToken(cluster, token)) await cluster.kubectl(['certificate', 'approve', csr.name]);
      await sleep(200);
    }
    const runs = await all;
    t.diagnostic(
      `outcomes: ${runs.map((r) => (r.code === 0 ? (/Already joined/.test(r.stdout) ? 'already joined' : 'joined') : `exit ${r.code}`)).join(', ')}`,
    );
    const joined = runs.filter((r) => r.code === 0 && new RegExp(`Joined as system:node:${node}`).test(r.stdout));
    assert.equal(joined.length, 1, `exactly one run joined:\n${runs.map((r) => `${r.code}: ${r.stdout}${r.stderr}`).join('\n---\n')}`);
    for (const r of runs.filter((x) => !joined.includes(x))) {
      if (r.code === 0) assert.match(r.stdout, new RegExp(`Already joined as system:node:${node}`), 'a waiter finds the credential');
      else {
        assert.equal(r.code, 7, r.stdout + r.stderr);
        assert.match(r.stderr, BUSY);
      }
    }
    assert.equal((await csrsOfToken(cluster, token)).length, 1, 'exactly one CSR');
    const pem = (await readOptional(join(dir, PEM)))!;
    assert.equal(certSpki(pem), keySpki(pem));
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', PEM, 'token'], 'no temporary, journal or pending key');
    await noLockLeft(dir);
    const m: Joined = { dir, node, kubeconfig: join(dir, 'kubelet.conf'), certDir: join(dir, 'pki'), env: cliEnv(), where: [] };
    assert.equal((await whoami(m)).username, `system:node:${node}`);
  });

  it('invalid: a staged file removed before the commit: exit 7, the previous credential byte-identical, the pending key kept', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('gone');
    const args = joinArgs(cluster, await writeTokenFile(dir, token), node, dir);
    assert.equal((await kubejoinRun(args)).code, 0);
    const before = { pem: await readOptional(join(dir, PEM)), conf: await readOptional(join(dir, 'kubelet.conf')) };

    const paused = await pausedJoin([...args, '--force'], 'credential-staged');
    const staged = (await readdir(join(dir, 'pki'))).filter((f) => f.startsWith('.kubejoin-tmp.kubelet-client-current.pem.'));
    assert.equal(staged.length, 1, 'the new credential is staged');
    await rm(join(dir, 'pki', staged[0]!));
    process.kill(paused.pid, 'SIGCONT');
    const r = await paused.done;
    assert.equal(r.code, 7, r.out);
    assert.match(
      r.out,
      /the staged copy of .*kubelet-client-current\.pem \(.*\) was removed by another program before it was put in place; nothing was replaced/,
    );
    assert.deepEqual({ pem: await readOptional(join(dir, PEM)), conf: await readOptional(join(dir, 'kubelet.conf')) }, before, 'byte-identical');
    const pending = await readOptional(join(dir, 'pki/kubelet-client.key.tmp'));
    assert.ok(pending, 'the pending key is kept: its CSR was issued');
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', PEM, 'pki/kubelet-client.key.tmp', 'token'], 'the other staged file is removed');
    await noLockLeft(dir);

    const again = await kubejoinRun([...args, '--force']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /reusing the key of an earlier, unfinished join/);
    assert.equal(keySpki((await readOptional(join(dir, PEM)))!), keySpki(pending));
    assert.equal((await csrsOfToken(cluster, token)).length, 2, 'the first join and the forced one: no third CSR');
  });

  it('invalid: renew and reset while a join holds the lock: exit 7 naming the pid; afterwards the join finishes', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('held');
    const args = joinArgs(cluster, await writeTokenFile(dir, token), node, dir);
    assert.equal((await kubejoinRun(args)).code, 0);
    const m: Joined = {
      dir,
      node,
      kubeconfig: join(dir, 'kubelet.conf'),
      certDir: join(dir, 'pki'),
      env: cliEnv(),
      where: ['--kubeconfig', join(dir, 'kubelet.conf')],
    };
    const before = await readOptional(join(dir, PEM));

    const paused = await pausedJoin([...args, '--force'], 'credential-staged');
    const busy = new RegExp(`another kubejoin is running \\(pid ${paused.pid}\\) on ${dir}`);
    const renew = await lc(m, ['renew', '--force']);
    assert.equal(renew.code, 7, renew.stdout + renew.stderr);
    assert.match(renew.stderr, busy);
    const reset = await lc(m, ['reset', '--force']);
    assert.equal(reset.code, 7, reset.stdout + reset.stderr);
    assert.match(reset.stderr, busy);
    assert.equal(await readOptional(join(dir, PEM)), before, 'neither touched the credential');

    process.kill(paused.pid, 'SIGCONT');
    const r = await paused.done;
    assert.equal(r.code, 0, r.out);
    assert.equal((await whoami(m)).username, `system:node:${node}`);
    await noLockLeft(dir);
  });

  it('valid: a join SIGKILLed while it holds the lock does not block the next one', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('dead');
    const args = joinArgs(cluster, await writeTokenFile(dir, token), node, dir);
    const killed = await kubejoinRun(args, { killAt: 'credential-staged' });
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok((await lstat(join(dir, 'pki', '.kubejoin.lock'))).isSymbolicLink(), 'the dead run left its lock');
    const again = await kubejoinRun(args);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    await noLockLeft(dir);
    assert.equal((await csrsOfToken(cluster, token)).length, 1);
  });

  it('valid: a rotation of the agent that meets a join holding the lock says so, backs off, and rotates after it', async (t) => {
    const m = await joinMachine(t, cluster, 'file', undefined, 'agentlock');
    const short = await lc(m, ['renew', '--force', '--expiration-seconds', '600']);
    assert.equal(short.code, 0, short.stderr);
    const args = [...tokenJoinArgs(cluster, join(m.dir, 'token'), m.node), '--store', 'file', '--cert-dir', m.certDir, '--kubeconfig-out', m.kubeconfig];
    const paused = await pausedJoin([...args, '--force'], 'credential-staged');
    // 60 times shorter waits: the rotation deadline of a 600 s certificate comes in seconds.
    const agent = new AgentProcess(m, ['--expiration-seconds', '600'], { ...m.env, KUBEJOIN_TEST_CLOCK_SCALE: '60' });
    t.after(() => void agent.kill());
    await agent.waitFor(new RegExp(`waiting for another kubejoin \\(pid ${paused.pid}\\) to finish on ${m.dir}`), 1, 60_000);
    await agent.waitFor(new RegExp(`rotation failed \\(attempt 1\\): another kubejoin is running \\(pid ${paused.pid}\\)`), 1, 60_000);
    assert.equal(agent.count(/ rotated: serial /), 0, 'no rotation while the join holds the lock');

    process.kill(paused.pid, 'SIGCONT');
    const joined = await paused.done;
    assert.equal(joined.code, 0, joined.out);
    await agent.waitFor(/ rotated: serial /, 1, 60_000);
    assert.equal((await agent.terminate()).code, 0, agent.stderr);
    assert.equal((await whoami(m)).username, `system:node:${m.node}`);
    await noLockLeft(m.dir);
  });
});
