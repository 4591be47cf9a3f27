import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { spawn } from 'node:child_process';
import { CLI, cliEnv, ensureBuilt, run, uniqueName, keychainJoinArgs, tokenJoinArgs, writeTokenFile } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { csrsOfToken, kubejoinRun } from './fault-helpers.js';
import { privateKeyring } from './private-keyring.js';

// docs/stores.md §2: a real gnome-keyring whose login collection is locked, or whose daemon
// is frozen (SIGSTOP: every call hangs), in a D-Bus session of the test's own.

let cluster: ClusterHandle;
const haveKeyring = ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus'].every((c) => ['/usr/bin', '/bin'].some((d) => existsSync(join(d, c))));
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const BOUND_MS = 2000;

function lastResult(stdout: string): { ok: boolean; store?: { kind: string; reason: string }; error?: { message: string; hint?: string; exitCode: number } } {
  return (JSON.parse(stdout.trim().split('\n').at(-1)!) as { result: ReturnType<typeof lastResult> }).result;
}

function phaseMs(stdout: string, phase: string): number {
  const events = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; phase?: string; durationMs?: number });
  return events.find((e) => (e.type === 'succeeded' || e.type === 'failed') && e.phase === phase)!.durationMs!;
}

describe(
  'keychain faults (a real gnome-keyring, locked or frozen)',
  { skip: haveKeyring ? false : 'needs dbus-daemon, gnome-keyring-daemon and gdbus' },
  () => {
    it('locked collection, --store keychain: exit 7 saying it is locked and what to do; nothing written; no CSR', async (t) => {
      const kr = await privateKeyring(t);
      await kr.lock();
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const r = await kubejoinRun(keychainJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('locked'), dir), { env: kr.env });
      assert.equal(r.code, 7, r.stdout + r.stderr);
      assert.match(r.stderr, /--store keychain was requested but the keychain's collection is locked \(Cannot create an item in a locked collection\)/);
      assert.match(r.stderr, /Unlock the keyring .* or use --store file/);
      assert.deepEqual(await filesUnder(dir), ['token']);
      assert.equal((await csrsOfToken(cluster, token)).length, 0);
    });

    it('locked collection, --store auto: joins with files and says why', async (t) => {
      const kr = await privateKeyring(t);
      await kr.lock();
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const r = await kubejoinRun(
        [
          ...tokenJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('auto-locked')),
          '--cert-dir',
          join(dir, 'pki'),
          '--kubeconfig-out',
          join(dir, 'kubelet.conf'),
          '-o',
          'json',
        ],
        { env: kr.env },
      );
      assert.equal(r.code, 0, r.stderr);
      const result = lastResult(r.stdout);
      assert.equal(result.store?.kind, 'file');
      assert.match(result.store!.reason, /^auto: the keychain's collection is locked \(.*\); using kubelet-compatible files$/);
      assert.deepEqual(await filesUnder(dir), ['kubelet.conf', 'pki/kubelet-client-current.pem', 'token']);
      assert.equal((await csrsOfToken(cluster, token)).length, 1);
    });

    it('frozen keyring, --store keychain: exit 7 within the bound (KUBEJOIN_KEYCHAIN_TIMEOUT); no CSR', async (t) => {
      const kr = await privateKeyring(t);
      kr.freeze();
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const r = await kubejoinRun([...keychainJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('frozen'), dir), '-o', 'json'], {
        env: { ...kr.env, KUBEJOIN_KEYCHAIN_TIMEOUT: `${BOUND_MS}ms` },
      });
      assert.equal(r.code, 7, r.stderr);
      const result = lastResult(r.stdout);
      assert.match(result.error!.message, /the keychain did not answer within 2 s \(is it locked, or waiting for an unlock prompt\?\)/);
      assert.ok(phaseMs(r.stdout, 'validate') < BOUND_MS + 1000, `validate took ${phaseMs(r.stdout, 'validate')} ms`);
      assert.deepEqual(await filesUnder(dir), ['token']);
      assert.equal((await csrsOfToken(cluster, token)).length, 0);
    });

    it('frozen keyring: kubectl gets a clear message from "kubejoin credential" within the bound', async (t) => {
      const kr = await privateKeyring(t);
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const node = uniqueName('kc-frozen');
      const env = { ...kr.env, KUBEJOIN_KEYCHAIN_TIMEOUT: `${BOUND_MS}ms`, NO_COLOR: '1' };
      const joined = await kubejoinRun(keychainJoinArgs(cluster, await writeTokenFile(dir, token), node, dir), { env });
      assert.equal(joined.code, 0, joined.stderr);
      const ok = await run('kubectl', ['--kubeconfig', join(dir, 'kc.conf'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { env });
      assert.equal(ok.stdout, `system:node:${node}`, ok.stderr);
      kr.freeze();
      const started = Date.now();
      const r = await run('kubectl', ['--kubeconfig', join(dir, 'kc.conf'), 'auth', 'whoami'], { env });
      const took = Date.now() - started;
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /cannot read the credential of node "kc-frozen-[0-9a-f]+" in the keychain: the keychain did not answer within 2 s/);
      assert.ok(took < BOUND_MS + 5000, `kubectl returned after ${took} ms`);
    });
  },
);

/** Live keychain helpers (node -e … keytar) talking to this bus, from /proc. */
async function keytarHelpers(busAddress: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const [cmdline, environ] = await Promise.all(
      [readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/environ`, 'utf8')].map((p) => p.catch(() => '')),
    );
    if (cmdline!.includes('keytar') && environ!.split('\0').includes(`DBUS_SESSION_BUS_ADDRESS=${busAddress}`)) found.push(Number(pid));
  }
  return found;
}

describe('keychain calls end with the join', { skip: haveKeyring ? false : 'needs dbus-daemon, gnome-keyring-daemon and gdbus' }, () => {
  it('frozen keyring, default bound: Ctrl-C ends the join at once (exit 1, cancelled), no helper left', async (t) => {
    const kr = await privateKeyring(t);
    kr.freeze();
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const child = spawn(process.execPath, [CLI, ...keychainJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('cancel'), dir)], {
      env: cliEnv(kr.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await keytarHelpers(kr.env.DBUS_SESSION_BUS_ADDRESS!)).length, 1, 'the probe is waiting in its helper');
    const interrupted = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    const took = Date.now() - interrupted;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /cancelled/);
    assert.ok(took < 1000, `the join ended ${took} ms after Ctrl-C (the keychain bound is 10 s)`);
    assert.deepEqual(await keytarHelpers(kr.env.DBUS_SESSION_BUS_ADDRESS!), [], 'no keychain helper left');
    assert.deepEqual(await filesUnder(dir), ['token']);
  });
});
