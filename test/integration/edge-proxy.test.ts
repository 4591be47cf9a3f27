import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { startProxy, type ProxyOptions, type TestProxy } from '../helpers/proxy-servers.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, kubejoin, uniqueName } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { foreignCertificate } from '../helpers/hostile-servers.js';

// Joins through HTTP CONNECT proxies of our own in front of the real apiserver. The endpoint
// is "kubernetes:<port>": a name in the apiserver certificate that this machine cannot
// resolve, so only a proxy (which maps it to 127.0.0.1) reaches the cluster with it.

let cluster: ClusterHandle;
let port: string;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
  port = cluster.endpoint.split(':')[1]!;
});

const viaLoopback: ProxyOptions['resolve'] = (target) => ({ host: '127.0.0.1', port: Number(target.slice(target.lastIndexOf(':') + 1)) });

async function proxy(t: TestContext, opts: ProxyOptions = {}): Promise<TestProxy> {
  const p = await startProxy({ resolve: viaLoopback, ...opts });
  t.after(() => p.close());
  return p;
}

async function joinThrough(t: TestContext, env: NodeJS.ProcessEnv, extra: string[] = []) {
  const dir = await workdir(t);
  const token = await cluster.signedToken();
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const args = [
    'join',
    `kubernetes:${port}`,
    '--token-file',
    join(dir, 'token'),
    '--discovery-token-ca-cert-hash',
    cluster.caCertHash,
    '--node-name',
    uniqueName('edge-proxy'),
    ...fileStoreFlags(dir),
    ...extra,
  ];
  const clean = { HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };
  const r = await kubejoin(args, { env: cliEnv({ ...clean, ...env }) });
  assertNoSecret(r, token);
  return { r, dir, token };
}

describe('joining through an HTTPS proxy (HTTP CONNECT)', () => {
  it('valid: HTTPS_PROXY: the join works through the proxy, which saw the CONNECT', async (t) => {
    const p = await proxy(t);
    const { r, dir } = await joinThrough(t, { HTTPS_PROXY: p.url });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      p.connects.some((c) => c.target === `kubernetes:${port}`),
      JSON.stringify(p.connects),
    );
    assert.match(r.stdout, new RegExp(`connecting to kubernetes:${port} through the proxy http://127\\.0\\.0\\.1:${p.port} \\(HTTPS_PROXY\\)`));
    assert.ok((await filesUnder(dir)).includes('pki/kubelet-client-current.pem'));
  });

  it('valid: --proxy wins over HTTPS_PROXY (which here points at a proxy that refuses)', async (t) => {
    const good = await proxy(t);
    const refusing = await proxy(t, { refuse: 403 });
    const { r } = await joinThrough(t, { HTTPS_PROXY: refusing.url }, ['--proxy', good.url]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(good.connects.some((c) => c.target === `kubernetes:${port}`));
    assert.deepEqual(refusing.connects, []);
    assert.match(r.stdout, /through the proxy http:\/\/127\.0\.0\.1:\d+ \(set for this join\)/);
  });

  it('valid: an https:// proxy (TLS to the proxy, the pinned TLS inside), trusted through NODE_EXTRA_CA_CERTS', async (t) => {
    const dir = await workdir(t);
    const cert = foreignCertificate();
    await writeFile(join(dir, 'proxy-ca.pem'), cert.cert);
    const p = await proxy(t, { tls: cert });
    const { r } = await joinThrough(t, { HTTPS_PROXY: p.url, NODE_EXTRA_CA_CERTS: join(dir, 'proxy-ca.pem') });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(p.connects.some((c) => c.target === `kubernetes:${port}`));
    assert.match(r.stdout, new RegExp(`through the proxy https://127\\.0\\.0\\.1:${p.port} \\(HTTPS_PROXY\\)`));
  });

  it('invalid: an https:// proxy whose certificate is not trusted: named, exit 6', async (t) => {
    const p = await proxy(t, { tls: foreignCertificate() });
    const { r } = await joinThrough(t, { HTTPS_PROXY: p.url }, ['--discovery-timeout', '2s']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      /cannot connect to the proxy https:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY\): its certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): add its CA with NODE_EXTRA_CA_CERTS/,
    );
    assert.deepEqual(p.connects, []);
  });

  it('invalid: without the proxy the same endpoint is not reachable (exit 6): the join above worked only through it', async (t) => {
    const { r, dir } = await joinThrough(t, {}, ['--discovery-timeout', '2s']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /the host name kubernetes does not resolve \(DNS: no such host\)/);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('valid: lower-case https_proxy with credentials: sent as Proxy-Authorization, never printed', async (t) => {
    const expected = `Basic ${Buffer.from('edge:pr0xy-pa55').toString('base64')}`;
    const p = await proxy(t, { requireAuthorization: expected });
    const { r } = await joinThrough(t, { https_proxy: `http://edge:pr0xy-pa55@127.0.0.1:${p.port}` });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(p.connects.every((c) => c.proxyAuthorization === expected));
    assert.match(r.stdout, new RegExp(`through the proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${p.port} \\(https_proxy\\)`));
    assert.ok(!`${r.stdout}${r.stderr}`.includes('pr0xy-pa55'), 'the proxy password is never printed');
    assert.ok(!`${r.stdout}${r.stderr}`.includes('edge:'), 'the proxy user is never printed');
  });

  it('invalid: wrong proxy credentials: 407 named, password masked, exit 6', async (t) => {
    const p = await proxy(t, { requireAuthorization: 'Basic nope' });
    const { r, dir } = await joinThrough(t, { HTTPS_PROXY: `http://edge:wr0ng-pa55@127.0.0.1:${p.port}` }, ['--discovery-timeout', '2s']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`the proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${p.port} refused CONNECT kubernetes:${port}: HTTP 407 .*check the proxy user and password`),
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes('wr0ng-pa55'));
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('invalid: a proxy that refuses CONNECT: the refusal is named, exit 6, nothing written', async (t) => {
    const p = await proxy(t, { refuse: 403 });
    const { r, dir } = await joinThrough(t, { HTTPS_PROXY: p.url }, ['--discovery-timeout', '2s']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, new RegExp(`the proxy http://127\\.0\\.0\\.1:${p.port} refused CONNECT kubernetes:${port}: HTTP 403 Forbidden`));
    assert.ok(p.connects.length > 0);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('invalid: a proxy that is not running: named as the proxy, exit 6', async (t) => {
    const p = await startProxy();
    await p.close();
    const { r } = await joinThrough(t, { HTTPS_PROXY: `127.0.0.1:${p.port}` }, ['--discovery-timeout', '2s']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot connect to the proxy http://127\\.0\\.0\\.1:${p.port} \\(HTTPS_PROXY\\): connection refused`));
  });

  it('invalid: a TLS-intercepting proxy is refused by the pin (exit 3) and never sees the token', async (t) => {
    const p = await proxy(t, { intercept: foreignCertificate() });
    const { r, dir } = await joinThrough(t, { HTTPS_PROXY: p.url });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /could not be verified with the pinned CA/);
    assert.ok(p.seen.length > 0, 'the intercepting proxy decrypted the anonymous cluster-info requests');
    assert.ok(
      p.seen.every((h) => h.authorization === undefined),
      'no Authorization header ever reached the intercepting proxy',
    );
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('valid: NO_PROXY covering the host sends the join direct (the proxy sees nothing; the name does not resolve: exit 6)', async (t) => {
    const p = await proxy(t);
    const { r } = await joinThrough(t, { HTTPS_PROXY: p.url, NO_PROXY: 'example.org,KUBERNETES' }, ['--discovery-timeout', '2s']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stdout, /directly: NO_PROXY exempts it/);
    assert.deepEqual(p.connects, []);
  });

  it('invalid: an unsupported proxy scheme is bad input (exit 2), credentials masked', async (t) => {
    const { r } = await joinThrough(t, { HTTPS_PROXY: 'socks5://u:s0cks-pa55@127.0.0.1:1080' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /socks5:\/\/\*\*\*@127\.0\.0\.1:1080.*only http:\/\/ and https:\/\/ proxies/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes('s0cks-pa55'));
  });
});
