import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { assertNoSecret, ensureBuilt, fileStoreFlags, kubejoin, uniqueName } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { hangingServer, relayingServer, type Hostile } from '../helpers/hostile-servers.js';

// Hostile servers of our own stand between kubejoin and the real cluster: each attack
// must end the join with the right exit code, and the token must never reach them.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

async function joinVia(t: Parameters<typeof workdir>[0], hostile: Hostile, extra: string[] = []) {
  t.after(() => hostile.close());
  const dir = await workdir(t);
  const token = await cluster.signedToken();
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const r = await kubejoin([
    'join',
    hostile.endpoint,
    '--token-file',
    join(dir, 'token'),
    '--discovery-token-ca-cert-hash',
    cluster.caCertHash,
    '--node-name',
    uniqueName('hostile'),
    ...fileStoreFlags(dir),
    ...extra,
  ]);
  assertNoSecret(r, token);
  assert.ok(
    hostile.seen.every((h) => h.authorization === undefined),
    'no Authorization header ever reached the hostile server',
  );
  assert.deepEqual(await filesUnder(dir), ['token'], 'nothing written');
  // filesUnder lists regular files: no directory and no lock (a symbolic link) either.
  assert.deepEqual(await readdir(dir), ['token'], 'no directory, no lock left');
  return r;
}

describe('hostile servers', () => {
  it('invalid: cluster-info tampered in transit (server URL swapped) fails the JWS check: exit 3', async (t) => {
    const hostile = await relayingServer(cluster.endpoint, (cm) => {
      const kc = parse(cm.data.kubeconfig!) as { clusters: { cluster: { server: string } }[] };
      kc.clusters[0]!.cluster.server = 'https://127.0.0.1:1';
      cm.data.kubeconfig = stringify(kc);
    });
    const r = await joinVia(t, hostile);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /JWS signature of cluster-info does not match/);
    assert.match(r.stderr, /changed on the way/, 'told apart from a wrong secret (the pin-verified copy differs or cannot be read)');
  });

  it("invalid: cluster-info with the CA swapped for the attacker's fails the JWS check: exit 3", async (t) => {
    const hostile = await relayingServer(cluster.endpoint, (cm) => {
      cm.data.kubeconfig = cm.data.kubeconfig!.replace(
        /certificate-authority-data: \S+/,
        `certificate-authority-data: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')}`,
      );
    });
    const r = await joinVia(t, hostile);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /JWS signature of cluster-info does not match/);
    assert.match(r.stderr, /changed on the way/, 'told apart from a wrong secret (the pin-verified copy differs or cannot be read)');
  });

  it('invalid: a man in the middle relaying the genuine, signed cluster-info fails the verified re-fetch at once: exit 3', async (t) => {
    const hostile = await relayingServer(cluster.endpoint);
    const started = Date.now();
    const r = await joinVia(t, hostile);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /\[verify-signature\] done/);
    assert.match(r.stdout, /\[pin-ca\] done/);
    assert.match(r.stderr, /could not be verified with the pinned CA/);
    assert.ok(Date.now() - started < 60_000, 'a TLS verification failure is not retried until the discovery timeout');
  });

  it('invalid: a server that accepts connections and never answers: exit 6 when discovery gives up', async (t) => {
    const hostile = await hangingServer();
    const r = await joinVia(t, hostile, ['--discovery-timeout', '2s']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /gave up after 2 s of discovery: cannot reach https:\/\/127\.0\.0\.1:\d+: stalled at handshake/);
  });
});
