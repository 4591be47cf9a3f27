import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { TEST_CLI, cliEnv, ensureBuilt, kubejoin } from '../helpers/cli.js';

// docs/protocol.md §7, --request-timeout: an API server that accepts connections and never
// answers (the real kube-apiserver, SIGSTOPped) ends an admin command with exit 6 within the
// timeout + 1 s, and `cluster sign --watch` gets through it and signs again once the server
// is back. Its own bare cluster (no BootstrapSigner: only kubejoin signs), since it freezes it.

let c: ClusterHandle;
let kc: string[];
let apiserverPid: number;
let frozen = false;
const freeze = (): void => {
  process.kill(apiserverPid, 'SIGSTOP');
  frozen = true;
};
const thaw = (): void => {
  if (frozen) process.kill(apiserverPid, 'SIGCONT');
  frozen = false;
};

before(async () => {
  await ensureBuilt();
  c = await startCluster({ bare: true });
  kc = ['--kubeconfig', c.adminKubeconfig];
  const pids = JSON.parse(await readFile(join(dirname(c.logDir), 'pids.json'), 'utf8')) as { children: Record<string, { pid: number }> };
  apiserverPid = pids.children['kube-apiserver']!.pid;
  const prepared = await kubejoin(['cluster', 'prepare', ...kc]);
  assert.equal(prepared.code, 0, prepared.stderr);
});
after(async () => {
  thaw();
  await c?.stop();
});

async function signedIds(): Promise<string[]> {
  const r = await c.request({ path: '/api/v1/namespaces/kube-public/configmaps/cluster-info' });
  const data = (JSON.parse(r.text) as { data?: Record<string, string> }).data ?? {};
  return Object.keys(data)
    .filter((k) => k.startsWith('jws-kubeconfig-'))
    .map((k) => k.slice('jws-kubeconfig-'.length));
}

async function until(what: string, cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('admin calls are bounded (--request-timeout)', () => {
  it('invalid: token list against a hung API server is exit 6 within the timeout + 1 s, naming the call', async (t) => {
    // What the same command takes against a healthy server (Node start, loading the client,
    // one answer): the bound applies on top of that.
    const baseline = Date.now();
    assert.equal((await kubejoin(['token', 'list', ...kc, '--request-timeout', '2s'])).code, 0);
    const startup = Date.now() - baseline;
    freeze();
    t.after(thaw);
    const began = Date.now();
    const r = await kubejoin(['token', 'list', ...kc, '--request-timeout', '2s']);
    const took = Date.now() - began;
    thaw();
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, new RegExp(`the API server ${c.server.replace(/[.]/g, '\\.')} did not answer within 2 s \\(--request-timeout\\) to list secrets`));
    assert.match(r.stderr, /raise --request-timeout/);
    assert.ok(took < 2000 + 1000 + startup, `ended after ${took} ms (a healthy run: ${startup} ms)`);
  });

  it('invalid: --request-timeout must be a duration', async () => {
    const r = await kubejoin(['token', 'list', ...kc, '--request-timeout', 'soon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--request-timeout "soon" is not a duration/);
  });

  it('valid: cluster sign --watch gets through a hung API server (calls and a silent watch time out) and signs again once it is back', async (t) => {
    const child = spawn(process.execPath, [TEST_CLI, 'cluster', 'sign', '--watch', ...kc, '--request-timeout', '2s'], {
      env: cliEnv({ KUBEJOIN_TEST_WATCH_SECONDS: '3' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    t.after(() => {
      thaw();
      child.kill('SIGINT');
    });
    const a = await c.createToken();
    await until('the first token signed by the watcher', async () => (await signedIds()).includes(a.slice(0, 6)), 20_000);

    const b = await c.createToken();
    freeze();
    await until(
      'a call or the watch to time out while the API server is hung',
      async () => /did not answer within 2 s|was silent for 5 s/.test(stderr),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    thaw();
    await until('the second token signed once the API server is back', async () => (await signedIds()).includes(b.slice(0, 6)), 30_000);
    assert.match(stderr, /\(retrying\)/);
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
  });

  it('valid: cluster sign --watch gets through an API server that is stopped (unreachable) and restarted, and signs again', async (t) => {
    // A cluster of startCluster() can stop and start its kube-apiserver (ClusterHandle.apiserver).
    const control = c.apiserver;
    assert.ok(control, 'this test starts its own cluster, whose apiserver can be stopped and started');
    const child = spawn(process.execPath, [TEST_CLI, 'cluster', 'sign', '--watch', ...kc, '--request-timeout', '2s'], {
      env: cliEnv({ KUBEJOIN_TEST_WATCH_SECONDS: '3' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    t.after(() => child.kill('SIGINT'));
    const a = await c.createToken();
    await until('a token signed by the watcher', async () => (await signedIds()).includes(a.slice(0, 6)), 20_000);
    const before = stderr.length;
    await control.stop();
    await until('the watcher to notice the API server is gone', async () => /error: .*\(retrying\)/.test(stderr.slice(before)), 20_000);
    await control.start();
    const b = await c.createToken();
    await until('a token created after the restart signed', async () => (await signedIds()).includes(b.slice(0, 6)), 40_000);
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
  });
});
