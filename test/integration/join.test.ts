import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { probeKeychain, keychainAccount } from '../../agent/store/keychain.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, filesUnder, kubejoin, run, spawnKubejoin, uniqueName, workdir } from './cli-helpers.js';

// `kubejoin join` end to end against the real control plane (kube-apiserver,
// kube-controller-manager and etcd v1.36.3 from test/harness).

let cluster: ClusterHandle;
const MANUAL_GROUP = 'system:bootstrappers:kubejoin:manual';

before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
  // A group that may request node certificates but is NOT auto-approved.
  const r = await cluster.kubectl(['create', 'clusterrolebinding', 'kubejoin-test-manual', '--clusterrole=system:node-bootstrapper', `--group=${MANUAL_GROUP}`]);
  assert.ok(r.code === 0 || /already exists|AlreadyExists/.test(r.stderr), r.stderr);
});

async function tokenFile(dir: string, token: string): Promise<string> {
  const path = join(dir, 'token');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}

async function signedToken(opts: Parameters<ClusterHandle['createToken']>[0] = {}): Promise<string> {
  const token = await cluster.createToken(opts);
  await cluster.waitForSignature(token.split('.')[0]!);
  return token;
}

async function whoami(kubeconfig: string, env?: NodeJS.ProcessEnv): Promise<{ username: string; groups: string[] }> {
  const r = await run('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'json'], { env: env ?? process.env });
  assert.equal(r.code, 0, r.stderr);
  const info = (JSON.parse(r.stdout) as { status: { userInfo: { username: string; groups: string[] } } }).status.userInfo;
  return info;
}

async function csrsOf(tokenId: string): Promise<{ name: string; conditions: string[] }[]> {
  const r = await cluster.kubectl(['get', 'csr', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: { username: string }; status?: { conditions?: { type: string }[] } }[] }).items;
  return items
    .filter((i) => i.spec.username === `system:bootstrap:${tokenId}`)
    .map((i) => ({ name: i.metadata.name, conditions: (i.status?.conditions ?? []).map((c) => c.type) }));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('kubejoin join against the real control plane', () => {
  it('valid: file store; the kubeconfig works with kubectl as system:node:<name>', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const node = uniqueName('file');
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', node, ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Joined as system:node:${node}`));
    const who = await whoami(join(dir, 'kubelet.conf'));
    assert.equal(who.username, `system:node:${node}`);
    assert.ok(who.groups.includes('system:nodes'));
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', 'pki/kubelet-client-current.pem', 'token']);
    for (const f of ['kubelet.conf', 'pki/kubelet-client-current.pem']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    assert.equal((await stat(join(dir, 'pki'))).mode & 0o777, 0o700);
    const pem = await readFile(join(dir, 'pki/kubelet-client-current.pem'), 'utf8');
    assert.ok(pem.indexOf('BEGIN CERTIFICATE') < pem.indexOf('PRIVATE KEY'), 'certificate blocks then key, like the kubelet');
  });

  it('valid: keychain store; kubectl authenticates through the exec plugin; no secret in the kubeconfig', async (t) => {
    const problem = await probeKeychain(process.env);
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem}); npm test runs inside dbus-run-session with gnome-keyring`);
    const dir = await workdir(t);
    const token = await signedToken();
    const node = uniqueName('keychain');
    const service = uniqueName('kubejoin-test');
    const env = cliEnv({ KUBEJOIN_KEYCHAIN_SERVICE: service });
    t.after(async () => {
      const keytar = (await import('keytar')).default;
      for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
    });
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', node, '--store', 'keychain', '--kubeconfig-out', join(dir, 'kc.conf'), '-o', 'json'], { env });
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { result: { store: { kind: string } } };
    assert.equal(result.result.store.kind, 'keychain');
    const kubeconfig = await readFile(join(dir, 'kc.conf'), 'utf8');
    assert.doesNotMatch(kubeconfig, /PRIVATE KEY|client-key|client-certificate/);
    assert.match(kubeconfig, /client\.authentication\.k8s\.io\/v1/);
    const keytar = (await import('keytar')).default;
    const pair = await keytar.getPassword(service, keychainAccount(node, cluster.server, 'credential'));
    assert.ok(pair && /BEGIN CERTIFICATE[\s\S]+PRIVATE KEY/.test(pair) && Buffer.byteLength(pair) < 2500, 'certificate and key in one entry under 2,500 bytes');
    assert.equal(await keytar.getPassword(service, keychainAccount(node, cluster.server, 'key')), null, 'no separate key entry');
    assert.equal(await keytar.getPassword(service, keychainAccount(node, cluster.server, 'pending-key')), null, 'pending key removed');
    const who = await whoami(join(dir, 'kc.conf'), env);
    assert.equal(who.username, `system:node:${node}`);
    assert.ok(who.groups.includes('system:nodes'));
  });

  it('valid: auto store with no keychain reachable falls back to files and says why', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const env = cliEnv({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/kubejoin-bus', DISPLAY: '' });
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('auto'), '--cert-dir', join(dir, 'pki'), '--kubeconfig-out', join(dir, 'kubelet.conf')], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stored in: +file: .*kubelet-client-current\.pem/);
    assert.match(r.stdout, /auto: .*D-Bus.*using kubelet-compatible files/);
  });

  it('invalid: --store keychain with no keychain is exit 7, says what is missing, writes nothing', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const env = cliEnv({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/kubejoin-bus', DISPLAY: '' });
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('nokc'), '--store', 'keychain', '--kubeconfig-out', join(dir, 'kc.conf')], { env });
    assertNoSecret(r, token);
    assert.equal(r.code, 7);
    assert.match(r.stderr, /--store keychain was requested but no D-Bus session bus/);
    assert.match(r.stderr, /--store file/);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  describe('bad input is exit 2 before any network traffic, nothing written', () => {
    const pin = `sha256:${'0'.repeat(64)}`;
    const cases: [string, string[], RegExp][] = [
      ['malformed token', ['--token', 'abcdef.tooshort', '--discovery-token-ca-cert-hash', pin], /token is malformed/],
      ['malformed pin', ['--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', 'sha256:1234'], /invalid CA cert hash "sha256:1234": the hash has 2 bytes/],
      ['no pin without the unsafe flag', ['--token', 'abcdef.0123456789abcdef'], /no CA cert hash given/],
      ['no token at all', ['--discovery-token-ca-cert-hash', pin], /a bootstrap token is required/],
      ['upper-case node name', ['--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', pin, '--node-name', 'Edge_1'], /not a valid DNS-1123 subdomain/],
    ];
    for (const [name, flags, pattern] of cases) {
      it(`invalid: ${name}`, async (t) => {
        const dir = await workdir(t);
        // A closed port: any network attempt would show up as a discovery retry, not exit 2.
        const r = await kubejoin(['join', '127.0.0.1:1', ...flags, ...fileStoreFlags(dir)]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, pattern);
        assert.doesNotMatch(r.stdout, /\[discover\]/);
        assert.ok(!r.stderr.includes('0123456789abcdef'), 'no secret echoed');
        assert.deepEqual(await filesUnder(dir), []);
      });
    }
  });

  it('invalid: wrong CA cert hash is exit 3 and names the hash the cluster has', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', `sha256:${'ab'.repeat(32)}`, '--node-name', uniqueName('pin'), ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`none of the CA certificates of this cluster matches .*${cluster.caCertHash}`));
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  const refusals: [string, Parameters<ClusterHandle['createToken']>[0] | 'unknown', RegExp][] = [
    ['well-formed token the cluster does not know', 'unknown', /token id "[a-z0-9]{6}" is invalid for this cluster or it has expired/],
    ['expired token', { expiration: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z') }, /is invalid for this cluster or it has expired/],
    ['token without the signing usage', { usages: ['authentication'] }, /is invalid for this cluster or it has expired/],
  ];
  for (const [name, opts, pattern] of refusals) {
    it(`invalid: ${name} is exit 4 when discovery gives up`, async (t) => {
      const dir = await workdir(t);
      const token = opts === 'unknown' ? 'zzzzzz.0123456789abcdef' : await cluster.createToken(opts);
      const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--discovery-timeout', '3s', '--node-name', uniqueName('refused'), ...fileStoreFlags(dir)]);
      assertNoSecret(r, token);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, pattern);
      assert.match(r.stderr, /token create/);
      assert.deepEqual(await filesUnder(dir), ['token']);
    });
  }

  it('invalid: token without the authentication usage is exit 4 at the certificate request; its key is discarded', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken({ usages: ['signing'] });
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('noauth'), ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refused the bootstrap token .*401/);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('invalid: unreachable endpoint is exit 6 after the discovery timeout', async (t) => {
    const dir = await workdir(t);
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await kubejoin(['join', `127.0.0.1:${port}`, '--token', 'abcdef.0123456789abcdef', '--discovery-token-ca-cert-hash', cluster.caCertHash, '--discovery-timeout', '2s', ...fileStoreFlags(dir)]);
    assert.equal(r.code, 6);
    assert.match(r.stderr, /warning: a token given with --token is visible/);
    assert.match(r.stderr, /cannot reach https:\/\/127\.0\.0\.1:\d+: connection refused/);
    assert.match(r.stdout, /retrying \(attempt 2\)/);
    assert.ok(!r.stdout.includes('0123456789abcdef') && !r.stderr.includes('0123456789abcdef'));
    assert.deepEqual(await filesUnder(dir), []);
  });

  it('invalid: a denied certificate request is exit 5 with the reason; nothing is left behind', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken({ groups: [MANUAL_GROUP] });
    const id = token.split('.')[0]!;
    const child = spawnKubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('denied'), ...fileStoreFlags(dir)]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const [csr] = await waitFor('the CSR', async () => ((await csrsOf(id)).length ? csrsOf(id) : undefined));
    const deny = await cluster.kubectl(['certificate', 'deny', csr!.name]);
    assert.equal(deny.code, 0, deny.stderr);
    assert.equal(await exited, 5, stderr);
    assertNoSecret({ code: 5, stdout, stderr }, token);
    assert.match(stderr, new RegExp(`${csr!.name} was denied by the cluster: KubectlDeny`));
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('valid: a join killed after its CSR was created resumes with the same key and CSR', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken({ groups: [MANUAL_GROUP] });
    const id = token.split('.')[0]!;
    const node = uniqueName('resume');
    const args = ['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', node, ...fileStoreFlags(dir)];
    const child = spawnKubejoin(args);
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const [csr] = await waitFor('the CSR', async () => ((await csrsOf(id)).length ? csrsOf(id) : undefined));
    child.kill('SIGKILL');
    await exited;
    const pendingPem = await readFile(join(dir, 'pki/kubelet-client.key.tmp'), 'utf8');
    assert.equal((await stat(join(dir, 'pki/kubelet-client.key.tmp'))).mode & 0o777, 0o600);
    const approve = await cluster.kubectl(['certificate', 'approve', csr!.name]);
    assert.equal(approve.code, 0, approve.stderr);
    const r = await kubejoin(args);
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /reusing the key of an earlier, unfinished join/);
    assert.match(r.stdout, new RegExp(`reusing ${csr!.name} from an earlier run`));
    assert.deepEqual((await csrsOf(id)).map((c) => c.name), [csr!.name], 'one CSR in the cluster');
    const pem = await readFile(join(dir, 'pki/kubelet-client-current.pem'), 'utf8');
    const issuedKey = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
    assert.ok(issuedKey.equals(createPublicKey(createPrivateKey(pendingPem)).export({ type: 'spki', format: 'der' })), 'the certificate is for the first run\'s key');
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', 'pki/kubelet-client-current.pem', 'token']);
    assert.equal((await whoami(join(dir, 'kubelet.conf'))).username, `system:node:${node}`);
  });

  it('invalid: a certificate never approved is exit 6 at --timeout; the key stays for a re-run', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken({ groups: [MANUAL_GROUP] });
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', await tokenFile(dir, token), '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('slow'), '--timeout', '3s', ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /did not finish within 3 s .*\n.*kubectl certificate approve/s);
    assert.match(r.stderr, /in phase await-approval/);
    assert.deepEqual(await filesUnder(dir), ['pki/kubelet-client.key.tmp', 'token'], 'only the pending key, kept so a re-run reuses the CSR');
  });

  it('valid: --output json is NDJSON through every phase; token from stdin and from KUBEJOIN_TOKEN', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const fromStdin = await kubejoin(['join', cluster.endpoint, '--token-file', '-', '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('stdin'), ...fileStoreFlags(join(dir, 'a')), '-o', 'json'], { input: `${token}\n` });
    assertNoSecret(fromStdin, token);
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const events = fromStdin.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; phase?: string; result?: { ok: boolean; phaseDurationsMs: Record<string, number> } });
    const succeeded = events.filter((e) => e.type === 'succeeded').map((e) => e.phase);
    assert.deepEqual(succeeded, ['validate', 'discover', 'verify-signature', 'pin-ca', 'verify-server', 'request-certificate', 'await-approval', 'store-credentials', 'verify-credentials']);
    const last = events.at(-1)!;
    assert.equal(last.type, 'result');
    assert.equal(last.result?.ok, true);
    assert.equal(Object.keys(last.result?.phaseDurationsMs ?? {}).length, 9);
    const fromEnv = await kubejoin(['join', cluster.endpoint, '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', uniqueName('env'), ...fileStoreFlags(join(dir, 'b'))], { env: cliEnv({ KUBEJOIN_TOKEN: token }) });
    assertNoSecret(fromEnv, token);
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.doesNotMatch(fromEnv.stderr, /visible in the process list/);
  });

  it('valid: --config with a kubeadm JoinConfiguration (v1beta4)', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const node = uniqueName('config');
    const config = join(dir, 'join.yaml');
    await writeFile(
      config,
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: ${cluster.endpoint}\n    token: ${token}\n    caCertHashes: ["${cluster.caCertHash}"]\nnodeRegistration:\n  name: ${node}\ntimeouts:\n  discovery: 1m\n`,
      { mode: 0o600 },
    );
    const r = await kubejoin(['join', '--config', config, ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await whoami(join(dir, 'kubelet.conf'))).username, `system:node:${node}`);
  });
});

