import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { DoctorReport } from '../../agent/contract/index.js';
import { signDetached } from '../../agent/protocol/jws.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { assertNoSecret, cliEnv, ensureBuilt, kubejoin } from '../helpers/cli.js';
import { foreignCertificate, relayingServer, type Hostile } from '../helpers/hostile-servers.js';
import { workdir } from '../helpers/temp.js';

// The trust core: nothing secret goes to a server that discovery has not proven (a
// VerifiedCluster). A server on the path serves cluster-info whose CA bundle is [the real CA
// (public: it matches the pin), its own CA] with a forged JWS. The doctor's signature check
// fails; its pin check must trust only the certificate that matched, not the whole
// unauthenticated bundle, so the handshake fails and the token checks never run.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const NO_PROXY_ENV = { HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };

/** The attacker's front: the genuine cluster-info, its bundle widened by its own CA, signed with a guessed secret. */
async function widenedBundleServer(tokenId: string): Promise<Hostile> {
  const own = foreignCertificate();
  let endpoint = '';
  const hostile = await relayingServer(
    cluster.endpoint,
    (cm) => {
      const kc = parse(cm.data.kubeconfig!) as { clusters: { cluster: Record<string, string> }[] };
      const entry = kc.clusters[0]!.cluster;
      entry.server = `https://${endpoint}`;
      entry['certificate-authority-data'] = Buffer.from(`${cluster.caPem.trim()}\n${own.cert.trim()}\n`).toString('base64');
      cm.data.kubeconfig = stringify(kc);
      // The attacker does not know the secret: it signs with one of its own.
      cm.data[`jws-kubeconfig-${tokenId}`] = signDetached(cm.data.kubeconfig, tokenId, randomBytes(8).toString('hex'));
    },
    own,
  );
  endpoint = hostile.endpoint;
  return hostile;
}

describe('doctor and the trust core', () => {
  for (const via of ['--token-file', 'KUBEJOIN_TOKEN'] as const) {
    it(`invalid: [real CA, attacker CA] with a forged JWS: no Authorization header reaches the server (token from ${via})`, async (t) => {
      const token = await cluster.signedToken();
      const hostile = await widenedBundleServer(token.split('.')[0]!);
      t.after(() => hostile.close());
      const dir = await workdir(t);
      await writeFile(join(dir, 'token'), token, { mode: 0o600 });
      const args = ['doctor', hostile.endpoint, '--discovery-token-ca-cert-hash', cluster.caCertHash, '-o', 'json'];
      const env = via === 'KUBEJOIN_TOKEN' ? { ...NO_PROXY_ENV, KUBEJOIN_TOKEN: token } : NO_PROXY_ENV;
      const r = await kubejoin(via === '--token-file' ? [...args, '--token-file', join(dir, 'token')] : args, { env: cliEnv(env) });
      assertNoSecret(r, token);
      const report = JSON.parse(r.stdout) as DoctorReport;
      const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
      assert.equal(r.code, 3, r.stdout);
      assert.equal(status.signature, 'fail');
      assert.equal(status.pin, 'fail', 'only the matching CA is trusted: the attacker certificate does not verify');
      assert.equal(status.token, 'skip');
      assert.equal(status['csr-rights'], 'skip');
      assert.match(report.checks.find((c) => c.id === 'token')!.summary, /verified cluster/);
      assert.ok(hostile.seen.length > 0, 'the doctor did read the hostile cluster-info');
      assert.ok(
        hostile.seen.every((h) => h.authorization === undefined),
        'no Authorization header reached the hostile server',
      );
    });
  }

  it('valid: a genuine cluster: the token checks run on the cluster discovery verified', async () => {
    const token = await cluster.signedToken();
    const r = await kubejoin(['doctor', cluster.endpoint, '--discovery-token-ca-cert-hash', cluster.caCertHash, '-o', 'json'], {
      env: cliEnv({ ...NO_PROXY_ENV, KUBEJOIN_TOKEN: token }),
    });
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.equal(report.checks.find((c) => c.id === 'token')!.status, 'pass');
  });
});
