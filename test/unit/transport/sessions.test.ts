import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { closeSharedAgents, createAgent, request, sharedAgent } from '../../../agent/transport/http.js';
import { foreignCertificate } from '../../helpers/hostile-servers.js';

// TLS session resumption across the shared agents (docs/performance.md, "Fleet"): a join's
// watch resumes the session its requests made under the same pinned CA, so the apiserver does
// one full handshake fewer; a session is never resumed under another trust (the unverified
// discovery agent, a node's client certificate). Checked on the server side.

const good = foreignCertificate();
const servers: https.Server[] = [];

/** A server of our own that records, per connection, whether it resumed a session. */
async function server(): Promise<{ url: string; reused: boolean[] }> {
  const log: boolean[] = [];
  const s = https.createServer(good, (_req, res) => res.end('{"ok":true}'));
  s.on('secureConnection', (sock: TLSSocket) => log.push(sock.isSessionReused()));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return { url: `https://127.0.0.1:${(s.address() as AddressInfo).port}/`, reused: log };
}

before(() => closeSharedAgents());
after(() => {
  closeSharedAgents();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

describe('TLS sessions of the shared agents', () => {
  it('valid: the watch agent resumes the session of the request agent under the same pinned CA', async () => {
    const s = await server();
    const res = await request({ url: s.url, agent: sharedAgent({ ca: good.cert }), timeoutMs: 5000 });
    assert.equal(res.status, 200);
    const watch = await request({ url: s.url, agent: sharedAgent({ ca: good.cert }, 'watch'), timeoutMs: 5000 });
    assert.equal(watch.status, 200);
    assert.deepEqual(s.reused, [false, true]);
  });

  it('invalid: a session of the unverified discovery agent is never resumed by a pinned agent', async () => {
    const s = await server();
    assert.equal((await request({ url: s.url, agent: sharedAgent({ insecure: true }), timeoutMs: 5000 })).status, 200);
    assert.equal((await request({ url: s.url, agent: sharedAgent({ ca: good.cert }, 'watch'), timeoutMs: 5000 })).status, 200);
    assert.deepEqual(s.reused, [false, false]);
  });

  it('invalid: a client-certificate agent never resumes a shared session (its identity needs a full handshake)', async () => {
    const s = await server();
    assert.equal((await request({ url: s.url, agent: sharedAgent({ ca: good.cert }), timeoutMs: 5000 })).status, 200);
    const node = createAgent({ ca: good.cert, cert: good.cert, key: good.key });
    try {
      assert.equal((await request({ url: s.url, agent: node, timeoutMs: 5000 })).status, 200);
    } finally {
      node.destroy();
    }
    assert.deepEqual(s.reused, [false, false]);
  });
});
