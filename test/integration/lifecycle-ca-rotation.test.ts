import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterInfoKubeconfig, startCluster, type ClusterHandle } from '../harness/index.js';
import { X509Certificate } from 'node:crypto';
import { clusterOf } from '../../agent/protocol/kubeconfig.js';
import { certificatesOf } from '../../agent/protocol/pin.js';
import { keychainAccount } from '../../agent/store/keychain.js';
import { cliEnv, ensureBuilt, run } from '../helpers/cli.js';
import { clientPair, issuerOf, newCa, RotatingPlane, servingPair } from './ca-rotation-plane.js';
import { AgentProcess, joinMachine, keychainEnv, whoami, type Joined } from './lifecycle-helpers.js';
import { allowWatch } from './lifecycle-ca-watch-plane.js';

// kubeadm's manual CA rotation, end to end, on a cluster of its own, each step a real restart
// of the apiserver and the controller-manager (ca-rotation-plane.ts). A node with the file
// store and one with the keychain store run `kubejoin agent` and are never touched: after
// every step `kubectl --kubeconfig <node's kubeconfig> auth whoami` is system:node:<name>.
// Side by side, a kubeconfig written the kubelet's way (the CA copied once, no agent) fails
// at step (b): that is what the agent is for (docs/operations.md, "CA rotation"). The cluster is
// prepared by `kubejoin cluster prepare`, so the agents follow cluster-info by a watch, which
// every restart breaks (lifecycle-ca-watch.test.ts: kubeadm's RBAC, reads alone).

let c: ClusterHandle;
let plane: RotatingPlane;

before(async () => {
  await ensureBuilt();
  c = await startCluster();
});
after(async () => {
  await plane?.stop();
  await c?.stop();
});

const AGENT_FLAGS = ['--ca-check-interval', '1s', '--ca-renew-window', '2s'];

async function kubeletWay(m: Joined): Promise<{ code: number; stderr: string }> {
  const r = await run('kubectl', ['--kubeconfig', join(m.dir, 'kubelet-way.conf'), 'auth', 'whoami', '-o', 'name'], { timeoutMs: 30_000 });
  return { code: r.code, stderr: r.stderr };
}

/** The issuer of the node's current client certificate, from its store. */
async function issuer(m: Joined): Promise<string> {
  if (m.env.KUBEJOIN_KEYCHAIN_SERVICE === undefined) return issuerOf(join(m.certDir, 'kubelet-client-current.pem'));
  const keytar = (await import('keytar')).default;
  const pem = await keytar.getPassword(m.env.KUBEJOIN_KEYCHAIN_SERVICE, keychainAccount(m.node, c.server, 'credential'));
  return pem ? new X509Certificate(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25)).issuer : '';
}

/** The fingerprints of the CAs the node's kubeconfig holds. */
async function storedCas(m: Joined): Promise<string[]> {
  return certificatesOf(clusterOf(await readFile(m.kubeconfig, 'utf8'), m.kubeconfig).caPem).map((x) => x.fingerprint256);
}

async function assertNodes(nodes: Joined[], step: string): Promise<void> {
  for (const m of nodes) {
    const who = await whoami(m);
    assert.equal(who.username, `system:node:${m.node}`, `${step}: ${m.node}: ${who.stderr}`);
  }
}

it("follows a CA rotation done by kubeadm's manual procedure; a kubelet-style kubeconfig fails at step (b)", { timeout: 600_000 }, async (t) => {
  await allowWatch(c);
  const fileNode = await joinMachine(t, c, 'file', cliEnv(), 'rot');
  const kc = await keychainEnv(t);
  const keychainNode = typeof kc === 'string' ? undefined : await joinMachine(t, c, 'keychain', kc, 'rotk');
  if (typeof kc === 'string') t.diagnostic(`keychain node left out: ${kc}`);
  const nodes = [fileNode, ...(keychainNode ? [keychainNode] : [])];
  // The kubelet's way: the join's kubeconfig, copied once; the same rotating certificate file.
  await copyFile(fileNode.kubeconfig, join(fileNode.dir, 'kubelet-way.conf'));
  assert.equal((await kubeletWay(fileNode)).code, 0);

  // The file node's agent logs JSON (-o json): its CA changes carry an "event".
  // It also runs --on-ca-change after each write (the kubelet would be restarted there).
  const hookLog = join(fileNode.dir, 'on-ca-change.log');
  const fileFlags = [...AGENT_FLAGS, '-o', 'json', '--on-ca-change', `echo changed >> ${hookLog}`];
  const agents = nodes.map((m, i) => new AgentProcess(m, i === 0 ? fileFlags : AGENT_FLAGS, m.env));
  t.after(async () => {
    for (const a of agents) await a.terminate();
  });
  for (const a of agents) await a.waitFor(/CA follow: watching kube-public\/cluster-info/);

  plane = await RotatingPlane.takeOver(c);
  const oldCa = c.caPem.trim();
  const next = await newCa();
  const both = `${oldCa}\n${next.pem.trim()}\n`;
  const only = `${next.pem.trim()}\n`;
  const f = (name: string): string => join(plane.dir, name);
  const adminNew = await clientPair(next, 'CN=kubernetes-admin, O=system:masters');
  const kcmNew = await clientPair(next, 'CN=system:kube-controller-manager');
  const serving = await servingPair(next);
  await writeFile(f('both.crt'), both);
  await writeFile(f('new.crt'), only);
  await writeFile(f('new.key'), next.keyPem, { mode: 0o600 });
  await writeFile(f('serving.crt'), serving.certPem);
  await writeFile(f('serving.key'), serving.keyPem, { mode: 0o600 });
  // The components' kubeconfigs trust both CAs (kubeadm: "update the CA in every kubeconfig").
  const kcmConf = f('controller-manager.conf');
  const kcmOld = await readFile(join(c.stateDir, 'controller-manager.conf'), 'utf8');
  await writeFile(kcmConf, kcmOld.replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${Buffer.from(both).toString('base64')}`), {
    mode: 0o600,
  });
  const oldSigner = ['--cluster-signing-cert-file', join(c.stateDir, 'ca.crt'), '--cluster-signing-key-file', join(c.stateDir, 'ca.key')];
  const newSigner = ['--cluster-signing-cert-file', f('new.crt'), '--cluster-signing-key-file', f('new.key')];
  const admin = async (args: string[]): Promise<void> => {
    const r = await c.kubectl(args, { kubeconfig: plane.adminKubeconfig });
    assert.equal(r.code, 0, r.stderr);
  };
  const publish = (bundle: string): Promise<void> =>
    admin([
      '-n',
      'kube-public',
      'patch',
      'configmap',
      'cluster-info',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ data: { kubeconfig: clusterInfoKubeconfig(c.server, bundle) } }),
    ]);

  // (a) both CAs trusted for clients, published in cluster-info; the old CA still signs and serves.
  await plane.writeAdmin({ certPem: await readFile(c.adminCertFile, 'utf8'), keyPem: await readFile(c.adminKeyFile, 'utf8') }, both);
  await plane.restartApiserver(['--client-ca-file', f('both.crt')]);
  await plane.restartControllerManager(kcmConf, ['--root-ca-file', f('both.crt'), ...oldSigner]);
  await publish(both);
  for (const a of agents) await a.waitFor(/ca-added: .*kubernetes-next/);
  await assertNodes(nodes, '(a)');
  assert.equal((await kubeletWay(fileNode)).code, 0, 'the kubelet-style kubeconfig still works at (a)');
  const fingerprints = (pem: string): string[] => certificatesOf(pem).map((x) => x.fingerprint256);
  for (const m of nodes) assert.deepEqual(await storedCas(m), fingerprints(both), `${m.node}: the stored kubeconfig holds both CAs`);

  // (b) the apiserver serves a certificate of the new CA.
  await plane.writeAdmin(adminNew, both);
  await plane.restartApiserver(['--client-ca-file', f('both.crt'), '--tls-cert-file', f('serving.crt'), '--tls-private-key-file', f('serving.key')]);
  await assertNodes(nodes, '(b)');
  const anchor = await kubeletWay(fileNode);
  assert.notEqual(anchor.code, 0, 'the kubelet-style kubeconfig must fail once the server certificate comes from the new CA');
  assert.match(anchor.stderr, /certificate signed by unknown authority|x509/);

  // (c) the controller-manager signs with the new CA (and uses its own new certificate).
  await writeFile(
    kcmConf,
    kcmOld
      .replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${Buffer.from(both).toString('base64')}`)
      .replace(/client-certificate-data: \S+/, `client-certificate-data: ${Buffer.from(kcmNew.certPem).toString('base64')}`)
      .replace(/client-key-data: \S+/, `client-key-data: ${Buffer.from(kcmNew.keyPem).toString('base64')}`),
    { mode: 0o600 },
  );
  await plane.restartControllerManager(kcmConf, ['--root-ca-file', f('both.crt'), ...newSigner]);
  // The agent renews while its certificate is not from the newest CA (no action on the node).
  for (const [i, m] of nodes.entries()) {
    for (const end = Date.now() + 240_000; !(await issuer(m)).includes('kubernetes-next');) {
      assert.ok(Date.now() < end, `${m.node}: the certificate was not renewed from the new CA:\n${agents[i]!.stdout}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  await assertNodes(nodes, '(c)');

  // (d) the old CA is removed everywhere.
  await plane.restartApiserver(['--client-ca-file', f('new.crt'), '--tls-cert-file', f('serving.crt'), '--tls-private-key-file', f('serving.key')]);
  await plane.writeAdmin(adminNew, only);
  await plane.restartControllerManager(kcmConf, ['--root-ca-file', f('new.crt'), ...newSigner]);
  await publish(only);
  for (const a of agents) await a.waitFor(/ca-removed: .*CN=kubernetes\b/);
  await assertNodes(nodes, '(d)');
  for (const m of nodes) assert.deepEqual(await storedCas(m), fingerprints(only), `${m.node}: the stored kubeconfig holds the new CA only`);
  for (const a of agents) assert.doesNotMatch(a.stdout, /ca-refused/);
  const events = agents[0]!.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { time: string; event?: string; message: string })
    .filter((e) => e.event);
  assert.deepEqual(
    events.map((e) => e.event),
    ['ca-added', 'ca-removed'],
  );
  assert.match(events[0]!.message, /^ca-added: CN=kubernetes-next \(SHA-256 fingerprint /);
  await agents[0]!.waitFor(/--on-ca-change: exit 0/, 2);
  assert.equal(await readFile(hookLog, 'utf8'), 'changed\nchanged\n', 'the command ran after each of the two writes');
});
