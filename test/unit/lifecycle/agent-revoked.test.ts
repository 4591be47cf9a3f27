// A revoked node (or one whose CA was retired): the API server answers 401 to its valid
// certificate. The agent's CA check against a server of our own that does so leads to the
// re-join when a token is at hand; without one the agent keeps retrying (never a crash).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runRotationAgent } from '../../../agent/lifecycle/agent-loop.js';
import { renderKubeconfig } from '../../../agent/protocol/kubeconfig.js';
import { locateCredential } from '../../../agent/store/installed.js';
import { makeCa } from '../../helpers/certs.js';
import { tempDir } from '../../helpers/temp.js';
import { clientPair, servingPair } from '../../integration/ca-rotation-plane.js';

describe('runRotationAgent: a certificate the cluster refuses', () => {
  it('401 on the CA check with a token: joins again', async (t) => {
    const ca = await makeCa('CN=cluster');
    const serving = await servingPair(ca);
    const node = await clientPair(ca, 'CN=system:node:n1, O=system:nodes');
    let requests = 0;
    const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => {
      requests += 1;
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"kind":"Status","code":401,"message":"Unauthorized"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = tempDir('kj-revoked-');
    const pem = join(dir, 'kubelet-client-current.pem');
    await writeFile(pem, `${node.certPem.trim()}\n${node.keyPem}`, { mode: 0o600 });
    const kubeconfig = join(dir, 'kubelet.conf');
    await writeFile(kubeconfig, renderKubeconfig({ server: url, caPem: ca.pem }, { kind: 'files', certFile: pem, keyFile: pem }));
    const controller = new AbortController();
    const lines: string[] = [];
    const reasons: string[] = [];
    const code = await runRotationAgent({
      locate: () => locateCredential({ kubeconfig, env: {} }),
      signal: controller.signal,
      log: (l) => lines.push(l),
      followCa: { intervalMs: 60_000 },
      rejoin: async (why) => {
        reasons.push(why);
        controller.abort(new Error('SIGTERM'));
        return 'system:node:n1';
      },
    });
    assert.equal(code, 0);
    assert.equal(requests, 1, 'one read of cluster-info, refused');
    assert.deepEqual(reasons, ["the cluster refused the node's certificate while reading cluster-info (HTTP 401)"]);
    assert.ok(
      lines.some((l) => l.startsWith("the node's certificate no longer works (the cluster refused")),
      lines.join('\n'),
    );
  });
});
