import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, uniqueName } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { foreignCertificate, relayingServer } from '../helpers/hostile-servers.js';
import { hostileJoin } from './hostile/join.js';
import { assertBounded, measuredKubejoin } from './hostile/measure.js';
import type { Recorder } from './hostile/servers.js';

// Pinning cannot be switched off by the environment (docs/protocol.md §3.6): a man in the
// middle relays the genuine, signed cluster-info with its own certificate, while the
// environment tries to widen trust. The verified re-fetch must still refuse it, and the
// token must never reach it.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

async function mitm(t: TestContext): Promise<{ server: Recorder; certFile: string }> {
  const evil = foreignCertificate();
  const relay = await relayingServer(cluster.endpoint, () => undefined, evil);
  const server: Recorder = {
    endpoint: relay.endpoint,
    port: Number(relay.endpoint.split(':')[1]),
    get authorizations() {
      return relay.seen.flatMap((h) => (h.authorization === undefined ? [] : [h.authorization]));
    },
    requests: [],
    close: () => relay.close(),
  };
  const dir = await mkdtemp(join(tmpdir(), 'kubejoin-evil-ca-'));
  const certFile = join(dir, 'evil.pem');
  await writeFile(certFile, evil.cert);
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { server, certFile };
}

describe('pinning under a hostile environment', { concurrency: false }, () => {
  it('invalid: NODE_TLS_REJECT_UNAUTHORIZED=0 and a man in the middle: the pinned re-fetch refuses it: exit 3', async (t) => {
    const { server } = await mitm(t);
    const r = await hostileJoin(t, { server, token: await cluster.signedToken(), pin: cluster.caCertHash, env: { NODE_TLS_REJECT_UNAUTHORIZED: '0' } });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /\[pin-ca\] done/);
    assert.match(r.stderr, /could not be verified with the pinned CA/);
  });

  it("invalid: NODE_EXTRA_CA_CERTS naming the attacker's certificate does not widen the pin: exit 3", async (t) => {
    const { server, certFile } = await mitm(t);
    const r = await hostileJoin(t, {
      server,
      token: await cluster.signedToken(),
      pin: cluster.caCertHash,
      env: { NODE_EXTRA_CA_CERTS: certFile, NODE_TLS_REJECT_UNAUTHORIZED: '0' },
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /could not be verified with the pinned CA/);
  });

  it('invalid: a discovery file URL behind an unverifiable certificate, NODE_TLS_REJECT_UNAUTHORIZED=0: exit 3, nothing fetched', async (t) => {
    const served: string[] = [];
    const web = https.createServer(foreignCertificate(), (req, res) => {
      served.push(req.url ?? '');
      res.end('apiVersion: v1\nkind: Config\n');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    t.after(() => web.close());
    const dir = await workdir(t);
    const token = await cluster.createToken();
    const url = `https://127.0.0.1:${(web.address() as AddressInfo).port}/discovery.conf`;
    const r = await measuredKubejoin(
      ['join', '--discovery-file', url, '--node-name', uniqueName('durl'), '--discovery-timeout', '3s', ...fileStoreFlags(dir)],
      cliEnv({ KUBEJOIN_TOKEN: token, NODE_TLS_REJECT_UNAUTHORIZED: '0' }),
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /could not be verified/);
    assert.deepEqual(served, [], 'no request reached the server');
    assert.deepEqual(await filesUnder(dir), []);
    await assertBounded(r, 3000);
  });
});
