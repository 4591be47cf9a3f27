import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import type { DoctorReport } from '../../agent/contract/index.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { startProxy } from '../helpers/proxy-servers.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, kubejoin, uniqueName, tokenJoinArgs } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { foreignCertificate, hangingServer, relayingServer } from '../helpers/hostile-servers.js';

// `kubejoin doctor` against the real control plane and against hostile servers and proxies
// of our own: each check's status, the top-ranked cause, the exit code, and that the token
// never reaches a server before the pin holds.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const NO_PROXY_ENV = { HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };

async function doctor(t: TestContext, endpoint: string, opts: { token?: string; pin?: string; extra?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const dir = await workdir(t);
  const args = ['doctor', endpoint, '-o', 'json', ...(opts.extra ?? [])];
  if (opts.pin !== '') args.push('--discovery-token-ca-cert-hash', opts.pin ?? cluster.caCertHash);
  if (opts.token) {
    await writeFile(join(dir, 'token'), opts.token, { mode: 0o600 });
    args.push('--token-file', join(dir, 'token'));
  }
  const started = Date.now();
  const r = await kubejoin(args, { env: cliEnv({ ...NO_PROXY_ENV, ...opts.env }) });
  if (opts.token) assertNoSecret(r, opts.token);
  const report = JSON.parse(r.stdout) as DoctorReport;
  const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
  return { r, report, status, ms: Date.now() - started };
}

describe('kubejoin doctor', () => {
  it('valid: a healthy cluster and a good token: every check passes, exit 0', async (t) => {
    const { r, report, status } = await doctor(t, cluster.endpoint, { token: await cluster.signedToken() });
    assert.equal(r.code, 0, r.stdout);
    assert.equal(report.ok, true);
    assert.deepEqual(Object.values(status), Array(10).fill('pass'), r.stdout);
    assert.deepEqual(report.causes, []);
    const token = report.checks.find((c) => c.id === 'token')!;
    assert.match(token.summary, /authenticates as system:bootstrap:/);
  });

  it('valid: text output names each check and says all passed', async () => {
    const r = await kubejoin(['doctor', cluster.endpoint, '--discovery-token-ca-cert-hash', cluster.caCertHash], { env: cliEnv(NO_PROXY_ENV) });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /PASS {2}CA pin and verified TLS/);
    assert.match(r.stdout, /SKIP {2}Token authenticates +no token given/);
    assert.match(r.stdout, /All checks passed/);
  });

  it('invalid: a wrong pin: the pin fails (exit 3), the token checks do not run', async (t) => {
    const { r, report, status } = await doctor(t, cluster.endpoint, { token: await cluster.signedToken(), pin: `sha256:${'ab'.repeat(32)}` });
    assert.equal(r.code, 3, r.stdout);
    assert.equal(report.causes[0]?.check, 'pin');
    assert.match(report.causes[0]!.summary, /no CA in cluster-info matches/);
    assert.equal(status.token, 'skip');
    assert.equal(status['csr-rights'], 'skip');
  });

  it('invalid: a port that refuses: TCP fails (exit 6), nothing after it runs', async (t) => {
    const server = net.createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((res) => server.close(() => res()));
    const { r, report, status } = await doctor(t, `127.0.0.1:${port}`);
    assert.equal(r.code, 6, r.stdout);
    assert.equal(report.causes[0]?.check, 'tcp');
    assert.match(report.causes[0]!.summary, /refused the connection: nothing listens there/);
    assert.equal(status.tls, 'skip');
  });

  it('invalid: a server that accepts and never answers: TLS fails, and the doctor ends within its bound (--timeout 3s)', async (t) => {
    const hostile = await hangingServer();
    t.after(() => hostile.close());
    const { r, report, ms } = await doctor(t, hostile.endpoint, { extra: ['--timeout', '3s'] });
    assert.equal(r.code, 6, r.stdout);
    assert.equal(report.causes[0]?.check, 'tls');
    assert.match(report.causes[0]!.summary, /no TLS handshake/);
    assert.ok(ms < 3000 + 1500, `ended after ${ms} ms`);
  });

  it('invalid: a man in the middle relaying the genuine cluster-info: the pin fails (exit 3) and the token never reaches it', async (t) => {
    const hostile = await relayingServer(cluster.endpoint);
    t.after(() => hostile.close());
    const { r, report, status } = await doctor(t, hostile.endpoint, { token: await cluster.signedToken() });
    assert.equal(r.code, 3, r.stdout);
    assert.equal(status.signature, 'pass', 'the relayed cluster-info is genuine');
    assert.equal(report.causes[0]?.check, 'pin');
    assert.match(report.causes[0]!.summary, /does not verify against it/);
    assert.ok(hostile.seen.length > 0);
    assert.ok(
      hostile.seen.every((h) => h.authorization === undefined),
      'no Authorization header reached the hostile server',
    );
  });

  it('invalid: a TLS-intercepting proxy: the pin fails naming the proxy (exit 3), the proxy never sees the token', async (t) => {
    const proxy = await startProxy({ intercept: foreignCertificate(), resolve: () => ({ host: '127.0.0.1', port: Number(cluster.endpoint.split(':')[1]) }) });
    t.after(() => proxy.close());
    const port = cluster.endpoint.split(':')[1]!;
    const { r, report, status } = await doctor(t, `kubernetes:${port}`, { token: await cluster.signedToken(), env: { HTTPS_PROXY: proxy.url } });
    assert.equal(r.code, 3, r.stdout);
    assert.equal(status.proxy, 'pass');
    assert.equal(status.dns, 'pass', 'resolved by the proxy');
    assert.equal(report.causes[0]?.check, 'pin');
    assert.match(report.causes[0]!.summary, /the proxy may intercept TLS/);
    assert.ok(
      proxy.seen.every((h) => h.authorization === undefined),
      'no Authorization header reached the intercepting proxy',
    );
  });

  it('valid: through a CONNECT proxy (--proxy) every check passes and the proxy saw the CONNECTs', async (t) => {
    const port = cluster.endpoint.split(':')[1]!;
    const proxy = await startProxy({ resolve: () => ({ host: '127.0.0.1', port: Number(port) }) });
    t.after(() => proxy.close());
    const { r, report } = await doctor(t, `kubernetes:${port}`, { token: await cluster.signedToken(), extra: ['--proxy', proxy.url] });
    assert.equal(r.code, 0, r.stdout);
    assert.match(report.checks.find((c) => c.id === 'proxy')!.summary, /through http:\/\/127\.0\.0\.1:\d+ \(from set for this run\)/);
    assert.ok(proxy.connects.length >= 3 && proxy.connects.every((c) => c.target === `kubernetes:${port}`));
  });

  it('invalid: an unknown token: no signature for it (exit 4); the token is not sent to an unverified cluster', async (t) => {
    const { r, report, status } = await doctor(t, cluster.endpoint, { token: 'zzzzzz.0123456789abcdef' });
    assert.equal(r.code, 4, r.stdout);
    assert.equal(report.causes[0]?.check, 'signature');
    assert.match(report.causes[0]!.summary, /no signature for token id "zzzzzz"/);
    assert.equal(status.pin, 'pass', 'the pin still holds through the certificate that matched');
    assert.equal(status.token, 'skip');
    assert.match(report.checks.find((c) => c.id === 'token')!.summary, /signature check did not pass/);
  });

  it('invalid: a token whose group may not create CSRs: csr-rights fails (exit 4), and so does a join with it', async (t) => {
    const token = await cluster.signedToken({ groups: ['system:bootstrappers:nocsr'] });
    const { r, report, status } = await doctor(t, cluster.endpoint, { token });
    assert.equal(r.code, 4, r.stdout);
    assert.equal(status.token, 'pass');
    assert.equal(report.causes[0]?.check, 'csr-rights');
    assert.match(report.causes[0]!.fix ?? '', /system:node-bootstrapper/);
    const dir = await workdir(t);
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    const joined = await kubejoin([...tokenJoinArgs(cluster, join(dir, 'token'), uniqueName('nocsr')), ...fileStoreFlags(dir)], { env: cliEnv(NO_PROXY_ENV) });
    assertNoSecret(joined, token);
    assert.equal(joined.code, 4, joined.stderr);
    assert.match(joined.stderr, /HTTP 403 Forbidden/);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('invalid: bad input is exit 2 before any network traffic', async () => {
    const r = await kubejoin(['doctor', 'https://10.0.0.1:6443'], { env: cliEnv(NO_PROXY_ENV) });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /must be host:port without a scheme/);
  });
});
