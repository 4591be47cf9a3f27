import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CaFollower } from '../../../agent/lifecycle/ca-follow.js';
import { followCaBundleForever } from '../../../agent/lifecycle/ca-watch.js';
import { systemClock } from '../../../agent/lifecycle/clock.js';
import { certificatesOf } from '../../../agent/protocol/pin.js';
import { clusterOf, renderKubeconfig } from '../../../agent/protocol/kubeconfig.js';
import { locateCredential } from '../../../agent/store/installed.js';
import { clusterInfoKubeconfig } from '../../harness/index.js';
import { makeCa, type TestCa } from '../../helpers/certs.js';
import { tempDir } from '../../helpers/temp.js';
import { clientPair, servingPair } from '../../integration/ca-rotation-plane.js';

// The CA follow's watch (agent/lifecycle/ca-watch.ts) against an HTTPS server of our own: a
// MODIFIED event is applied at once (no read); a watch answered 403 (node and anonymous alike)
// falls back to reads, said once; a 401 ends the follow with credential-refused (the agent
// joins again). The real control plane: test/integration/lifecycle-ca-watch*.test.ts.

let serving: TestCa;
let other: TestCa;
let server: Server;
let url = '';
let node: { certPem: string; keyPem: string };
let watchStatus = 200;
const watches: ServerResponse[] = [];
const requests: string[] = [];
let published = '';

const object = (): object => ({
  metadata: { name: 'cluster-info', resourceVersion: String(requests.length) },
  data: { kubeconfig: clusterInfoKubeconfig(url, published) },
});

before(async () => {
  serving = await makeCa('CN=serving-ca');
  other = await makeCa('CN=other-ca');
  const cert = await servingPair(serving);
  node = await clientPair(serving, 'CN=system:node:n1, O=system:nodes');
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const watch = (req.url ?? '').includes('watch=true');
    requests.push(watch ? 'watch' : 'read');
    if (watch && watchStatus !== 200) return void res.writeHead(watchStatus, { 'Content-Type': 'application/json' }).end('{"kind":"Status"}');
    if (watch) {
      assert.match(
        req.url!,
        /^\/api\/v1\/namespaces\/kube-public\/configmaps\?fieldSelector=metadata\.name%3Dcluster-info&watch=true&allowWatchBookmarks=true&timeoutSeconds=300/,
      );
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: object() })}\n`);
      watches.push(res);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(object()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  for (const w of watches) w.destroy();
  server.close();
});

async function follow(intervalMs: number): Promise<{ kubeconfig: string; lines: string[]; stop: () => Promise<unknown>; done: Promise<void> }> {
  const dir = tempDir('kj-ca-watch-');
  const pem = join(dir, 'kubelet-client-current.pem');
  await writeFile(pem, `${node.certPem.trim()}\n${node.keyPem}`, { mode: 0o600 });
  const kubeconfig = join(dir, 'kubelet.conf');
  await writeFile(kubeconfig, renderKubeconfig({ server: url, caPem: serving.pem }, { kind: 'files', certFile: pem, keyFile: pem }), { mode: 0o600 });
  const lines: string[] = [];
  const follower = new CaFollower({ intervalMs, renewWindowMs: 60_000, log: (l) => lines.push(l), random: () => 0.5 });
  const controller = new AbortController();
  const current = async (): Promise<{ installed: NonNullable<Awaited<ReturnType<typeof locateCredential>>>; pair: typeof node }> => ({
    installed: (await locateCredential({ kubeconfig, env: {} }))!,
    pair: node,
  });
  const done = followCaBundleForever(follower, { current, clock: systemClock, signal: controller.signal });
  return { kubeconfig, lines, done, stop: () => (controller.abort(new Error('SIGTERM')), done) };
}

const held = async (kubeconfig: string): Promise<string[]> =>
  certificatesOf(clusterOf(await readFile(kubeconfig, 'utf8'), kubeconfig).caPem).map((c) => c.subject);

async function until(test: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; !(await test()); await new Promise((r) => setTimeout(r, 20))) assert.ok(Date.now() < end, what);
}

describe('the CA follow by a watch', { concurrency: false }, () => {
  it('valid: a MODIFIED event is applied at once, without a read; SIGTERM ends the follow', async () => {
    requests.length = 0;
    watchStatus = 200;
    published = serving.pem;
    const f = await follow(600_000);
    await until(() => f.lines.some((l) => l.startsWith('CA follow: watching kube-public/cluster-info; read again after 600 s')), f.lines.join('\n'));
    published = `${serving.pem.trim()}\n${other.pem.trim()}\n`;
    watches.at(-1)!.write(`${JSON.stringify({ type: 'MODIFIED', object: object() })}\n`);
    await until(async () => (await held(f.kubeconfig)).length === 2, f.lines.join('\n'));
    assert.deepEqual(await held(f.kubeconfig), ['CN=serving-ca', 'CN=other-ca']);
    assert.ok(
      f.lines.some((l) => l.startsWith('ca-added: CN=other-ca')),
      f.lines.join('\n'),
    );
    assert.deepEqual(requests, ['watch'], 'one watch, no read');
    await f.stop();
  });

  it('valid: the watch forbidden (403) to the node and to anonymous: reads every interval, said once', async () => {
    requests.length = 0;
    watchStatus = 403;
    published = serving.pem;
    const f = await follow(200);
    await until(() => requests.filter((r) => r === 'read').length >= 4, requests.join(','));
    await f.stop();
    assert.equal(f.lines.filter((l) => l.startsWith('CA follow: the cluster lets neither this node nor anonymous watch')).length, 1, f.lines.join('\n'));
    assert.deepEqual(requests.slice(0, 3), ['watch', 'watch', 'read'], 'the node, then anonymous, then the read');
    assert.equal(requests.filter((r) => r === 'watch').length, 2, 'the watch is not tried again within the hour');
  });

  it('invalid: the watch answered 401 (the certificate revoked): the follow ends with credential-refused', async () => {
    requests.length = 0;
    watchStatus = 401;
    const f = await follow(600_000);
    await assert.rejects(f.done, (err: Error & { category?: string }) => err.category === 'credential-refused' && /HTTP 401/.test(err.message));
  });
});
