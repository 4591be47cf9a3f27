import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { startProxy, type TestProxy } from '../helpers/proxy-servers.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, kubejoin, run, uniqueName } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';

// A site whose only way out is the proxy, for the whole join: a cluster of our own whose
// cluster-info names its server "https://kubernetes:<port>", a name this machine cannot
// resolve and only our CONNECT proxy maps to 127.0.0.1. Discovery, the certificate request,
// its watch and the final SelfSubjectReview all go through the proxy, or the join fails.

let cluster: ClusterHandle;
let proxy: TestProxy;
let port: string;

before(async () => {
  await ensureBuilt();
  cluster = await startCluster();
  port = cluster.endpoint.split(':')[1]!;
  // The BootstrapSigner re-signs cluster-info when it changes (tokens created after this).
  const cm = JSON.parse((await cluster.kubectl(['-n', 'kube-public', 'get', 'configmap', 'cluster-info', '-o', 'json'])).stdout) as {
    data: Record<string, string>;
  };
  const kc = parse(cm.data.kubeconfig!) as { clusters: { cluster: { server: string } }[] };
  kc.clusters[0]!.cluster.server = `https://kubernetes:${port}`;
  cm.data.kubeconfig = stringify(kc);
  const replaced = await cluster.kubectl(['replace', '-f', '-'], { input: JSON.stringify(cm) });
  assert.equal(replaced.code, 0, replaced.stderr);
  proxy = await startProxy({ resolve: () => ({ host: '127.0.0.1', port: Number(port) }) });
});

after(async () => {
  await proxy?.close();
  await cluster?.stop();
});

async function tokenFile(dir: string): Promise<string> {
  const token = await cluster.signedToken();
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  return token;
}

const clean = { HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };

describe('a join whose every connection must go through the proxy', () => {
  it('valid: HTTPS_PROXY: discovery, CSR, watch and SelfSubjectReview all through the proxy; kubectl agrees', async (t) => {
    const dir = await workdir(t);
    const token = await tokenFile(dir);
    const before = proxy.connects.length;
    const name = uniqueName('via-proxy');
    const r = await kubejoin(
      [
        'join',
        `kubernetes:${port}`,
        '--token-file',
        join(dir, 'token'),
        '--discovery-token-ca-cert-hash',
        cluster.caCertHash,
        '--node-name',
        name,
        ...fileStoreFlags(dir),
      ],
      {
        env: cliEnv({ ...clean, HTTPS_PROXY: proxy.url }),
      },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`the cluster sees system:node:${name}`));
    const mine = proxy.connects.slice(before);
    // One tunnel per agent at least: unverified discovery, pinned CA (verify-server, CSR), watch, client certificate.
    assert.ok(mine.length >= 4, `CONNECTs: ${JSON.stringify(mine)}`);
    assert.ok(mine.every((c) => c.target === `kubernetes:${port}`));
    assert.ok((await filesUnder(dir)).includes('pki/kubelet-client-current.pem'));
    // The written kubeconfig names the proxied server; kubectl (Go's ProxyFromEnvironment) reaches it the same way.
    const kubectl = process.env.KUBECTL ?? 'kubectl';
    const who = await run(kubectl, ['--kubeconfig', join(dir, 'kubelet.conf'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
      env: { ...process.env, ...clean, HTTPS_PROXY: proxy.url },
    });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout, `system:node:${name}`);
  });

  it('invalid: the same join without the proxy cannot reach the cluster (exit 6), nothing written', async (t) => {
    const dir = await workdir(t);
    const token = await tokenFile(dir);
    const r = await kubejoin(
      [
        'join',
        `kubernetes:${port}`,
        '--token-file',
        join(dir, 'token'),
        '--discovery-token-ca-cert-hash',
        cluster.caCertHash,
        '--node-name',
        uniqueName('no-proxy'),
        '--discovery-timeout',
        '2s',
        ...fileStoreFlags(dir),
      ],
      {
        env: cliEnv(clean),
      },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /the host name kubernetes does not resolve \(DNS: no such host\)/);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });
});

describe('after a join through the proxy: status and renew reach the cluster the same way', () => {
  it('valid: status and renew go through HTTPS_PROXY or --proxy; without it status says unreachable (exit 12)', async (t) => {
    const dir = await workdir(t);
    const token = await tokenFile(dir);
    const name = uniqueName('rotate-via-proxy');
    const joinArgs = ['join', `kubernetes:${port}`, '--token-file', join(dir, 'token'), '--discovery-token-ca-cert-hash', cluster.caCertHash];
    const joined = await kubejoin([...joinArgs, '--node-name', name, ...fileStoreFlags(dir)], { env: cliEnv({ ...clean, HTTPS_PROXY: proxy.url }) });
    assertNoSecret(joined, token);
    assert.equal(joined.code, 0, joined.stderr);
    const kubeconfig = ['--kubeconfig', join(dir, 'kubelet.conf')];

    const offline = await kubejoin(['status', ...kubeconfig], { env: cliEnv(clean) });
    assert.equal(offline.code, 12, offline.stdout + offline.stderr);

    let before = proxy.connects.length;
    const online = await kubejoin(['status', ...kubeconfig, '-o', 'json'], { env: cliEnv({ ...clean, HTTPS_PROXY: proxy.url }) });
    assert.equal(online.code, 0, online.stdout + online.stderr);
    assert.equal((JSON.parse(online.stdout) as { identity: { username: string } }).identity.username, `system:node:${name}`);
    assert.ok(proxy.connects.length > before, 'status went through the proxy');

    before = proxy.connects.length;
    const renewed = await kubejoin(['renew', '--force', ...kubeconfig, '--proxy', proxy.url], { env: cliEnv(clean) });
    assert.equal(renewed.code, 0, renewed.stdout + renewed.stderr);
    assert.match(renewed.stdout, new RegExp(`Renewed: serial \\w+ -> \\w+, valid until .*; the cluster sees system:node:${name}`));
    assert.ok(proxy.connects.slice(before).length >= 2, 'the CSR, its watch and the proof went through the proxy');
    assert.ok(proxy.connects.slice(before).every((c) => c.target === `kubernetes:${port}`));
  });
});
