// Smoke tests of the control-plane harness: the cluster is a real Kubernetes v1.36.3 that
// signs cluster-info, authenticates bootstrap tokens and approves/issues kubelet CSRs.
// Plain HTTPS and kubectl only: no kubejoin code.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { clusterInfoKubeconfig, startCluster, testCluster } from '../harness/index.js';
import { x509 } from '../harness/x509.js';
import { sleep } from '../helpers/poll.js';
import { whoAmI } from '../helpers/who-am-i.js';

const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
/** A process that exists and is not a zombie (PID 1 of a container may not reap orphans). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

interface ConfigMap {
  data?: Record<string, string>;
}
interface Csr {
  metadata: { name: string };
  status?: { certificate?: string; conditions?: { type: string; status: string }[] };
}

test('the API server is a real kube-apiserver v1.36.3', async (t) => {
  const c = await testCluster();
  t.diagnostic(`cluster ${c.endpoint} started in ${c.startupMs} ms (after the binaries were ready)`);
  assert.equal(c.version, 'v1.36.3');
  assert.match(c.endpoint, /^127\.0\.0\.1:\d+$/);
  assert.match(c.caCertHash, /^sha256:[0-9a-f]{64}$/);
  const r = await c.kubectl(['get', '--raw', '/version']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { gitVersion: string }).gitVersion, 'v1.36.3');
});

test('a token Secret is signed into cluster-info by the real BootstrapSigner; anonymous GET works', async () => {
  const c = await testCluster();
  const token = await c.createToken({ description: 'harness smoke test' });
  const [id, secret] = token.split('.') as [string, string];
  const t0 = Date.now();
  await c.waitForSignature(id, 15_000);
  const signedMs = Date.now() - t0;
  assert.ok(signedMs < 10_000, `signed after ${signedMs} ms`);

  // No client certificate, no Authorization header.
  const res = await c.request({ path: CLUSTER_INFO, auth: 'anonymous' });
  assert.equal(res.status, 200, res.text);
  const data = res.json<ConfigMap>().data ?? {};
  assert.equal(data.kubeconfig, clusterInfoKubeconfig(c.server, c.caPem));
  // The signature is HS256 over the served kubeconfig with the token secret (docs/protocol.md §2.3).
  const header = b64url('{"alg":"HS256","kid":"' + id + '"}');
  const mac = createHmac('sha256', secret)
    .update(`${header}.${b64url(data.kubeconfig ?? '')}`)
    .digest();
  assert.equal(data[`jws-kubeconfig-${id}`], `${header}..${b64url(mac)}`);

  // Anonymous may read cluster-info and nothing else.
  const other = await c.request({ path: '/api/v1/namespaces/kube-public/configmaps/kube-root-ca.crt', auth: 'anonymous' });
  assert.equal(other.status, 403);
  await c.deleteToken(id);
});

test('a bootstrap token authenticates as system:bootstrap:<id>; expired ones get 401', async () => {
  const c = await testCluster();
  const extra = 'system:bootstrappers:kubejoin-test';
  const token = await c.createToken({ groups: ['system:bootstrappers:kubeadm:default-node-token', extra], usages: ['authentication'] });
  const id = token.slice(0, 6);
  const r = await whoAmI(c, token);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.username, `system:bootstrap:${id}`);
  const groups = r.groups ?? [];
  for (const g of ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', extra]) assert.ok(groups.includes(g), `groups: ${groups}`);

  const expired = await c.createToken({ expiration: '2000-01-01T00:00:00Z' });
  assert.equal((await whoAmI(c, expired)).status, 401);
  const unparseable = await c.createToken({ expiration: 'not-a-date' });
  assert.equal((await whoAmI(c, unparseable)).status, 401);
  const wrongSecret = `${id}.${'0'.repeat(16)}`;
  assert.equal((await whoAmI(c, wrongSecret)).status, 401);
  for (const t of [token, expired, unparseable]) await c.deleteToken(t.slice(0, 6));
});

test('a kubelet CSR made with a bootstrap token is approved and issued by the real controllers', async () => {
  const c = await testCluster();
  const token = await c.createToken();
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=system:node:x, O=system:nodes',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const created = await c.request({
    method: 'POST',
    path: CSRS,
    auth: { token },
    body: {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'node-csr-harness-' },
      spec: {
        request: Buffer.from(req.toString('pem')).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
        usages: ['digital signature', 'client auth'],
      },
    },
  });
  assert.equal(created.status, 201, created.text);
  const name = created.json<Csr>().metadata.name;

  let csr: Csr = { metadata: { name } };
  const deadline = Date.now() + 30_000;
  while (!csr.status?.certificate) {
    assert.ok(Date.now() < deadline, `CSR ${name} not issued: ${JSON.stringify(csr.status)}`);
    await sleep(100);
    csr = (await c.request({ path: `${CSRS}/${name}` })).json<Csr>();
  }
  assert.ok(
    csr.status?.conditions?.some((k) => k.type === 'Approved' && k.status === 'True'),
    JSON.stringify(csr.status),
  );
  const cert = new X509Certificate(Buffer.from(csr.status.certificate, 'base64'));
  assert.match(cert.subject, /CN=system:node:x/);
  assert.match(cert.subject, /O=system:nodes/);
  assert.ok(cert.verify(new X509Certificate(c.caPem).publicKey), 'issued by the cluster CA');
  const ours = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  assert.deepEqual(cert.publicKey.export({ type: 'spki', format: 'der' }), ours);
  await c.request({ method: 'DELETE', path: `${CSRS}/${name}` });
  await c.deleteToken(token.slice(0, 6));
});

test('bare mode: no cluster-info, no bootstrap RBAC, no signing; audit and flag hooks; stop() leaves nothing behind', async (t) => {
  const c = await startCluster({ bare: true, audit: true, controllerManagerFlags: ['--kube-api-qps=100', '--kube-api-burst=200'] });
  t.after(() => c.stop()); // idempotent: also covers a failed assertion below
  t.diagnostic(`bare cluster started in ${c.startupMs} ms`);
  assert.equal(c.bare, true);
  const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  const procs = (JSON.parse(readFileSync(`${c.stateDir}/pids.json`, 'utf8')) as { children: Record<string, { pid: number }> }).children;
  const kcm = cmdline(procs['kube-controller-manager']?.pid ?? 0);
  assert.match(kcm, / --controllers \* /);
  assert.match(kcm, / --kube-api-qps=100 --kube-api-burst=200$/);
  assert.equal((await c.request({ path: CLUSTER_INFO })).status, 404);
  assert.equal((await c.request({ path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kubeadm:kubelet-bootstrap' })).status, 404);
  assert.equal((await c.request({ path: CLUSTER_INFO, auth: 'anonymous' })).status, 403);

  // Give the (absent) BootstrapSigner something to sign: a kubeadm-shaped cluster-info.
  const put = await c.kubectl([
    '-n',
    'kube-public',
    'create',
    'configmap',
    'cluster-info',
    `--from-literal=kubeconfig=${clusterInfoKubeconfig(c.server, c.caPem)}`,
  ]);
  assert.equal(put.code, 0, put.stderr);
  const id = (await c.createToken()).slice(0, 6);
  await sleep(4000);
  const data = (await c.request({ path: CLUSTER_INFO })).json<ConfigMap>().data ?? {};
  assert.deepEqual(Object.keys(data), ['kubeconfig']);
  assert.ok(!(`jws-kubeconfig-${id}` in data));

  // The audit log (level Metadata) saw the token Secret being created.
  assert.ok(c.auditLog);
  const events = readFileSync(c.auditLog, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { level: string; verb: string; objectRef?: { resource?: string; name?: string } });
  assert.ok(events.every((e) => e.level === 'Metadata'));
  assert.ok(events.some((e) => e.verb === 'create' && e.objectRef?.resource === 'secrets'));

  const pids = Object.values(procs);
  assert.equal(pids.length, 3);
  await c.stop();
  assert.equal(existsSync(c.stateDir), false, 'the temp state dir is removed');
  for (const { pid } of pids) assert.equal(alive(pid), false, `pid ${pid} still alive`);
});

test('a SIGKILLed test process leaves no component and no state dir behind', async () => {
  // A child process starts a cluster, reports it, and is then killed with SIGKILL.
  const script = `
    import { startCluster } from ${JSON.stringify(fileURLToPath(new URL('../harness/index.ts', import.meta.url)))};
    const c = await startCluster({ bare: true });
    console.log(JSON.stringify({ stateDir: c.stateDir }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
    });
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
  });
  const { stateDir } = JSON.parse(line) as { stateDir: string };
  const recorded = JSON.parse(readFileSync(`${stateDir}/pids.json`, 'utf8')) as { supervisor: number; children: Record<string, { pid: number }> };
  const pids = [recorded.supervisor, ...Object.values(recorded.children).map((p) => p.pid)];
  child.kill('SIGKILL');
  const deadline = Date.now() + 20_000;
  while ((existsSync(stateDir) || pids.some(alive)) && Date.now() < deadline) await sleep(200);
  assert.equal(existsSync(stateDir), false, `${stateDir} left behind`);
  for (const p of pids) assert.equal(alive(p), false, `pid ${p} still alive`);
});
