import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { ensureBuilt } from '../helpers/cli.js';
import { foreignCertificate } from '../helpers/hostile-servers.js';
import { hostileJoin } from './hostile/join.js';
import { drip, slowHandshake, tcpServer, tlsServer } from './hostile/servers.js';

// Servers that never complete: whatever stage stalls, a join with --discovery-timeout T ends
// within T + 1 s with exit 6 and a message naming the stage (docs/protocol.md §7). No cluster
// is needed: nothing here gets far enough to talk to one.

describe('hostile servers that stall', { concurrency: false }, () => {
  it('setup: the CLI is built', async () => ensureBuilt());

  it('invalid: accepts TCP and never answers: exit 6 naming the handshake', async (t) => {
    const server = await tcpServer(() => undefined);
    const r = await hostileJoin(t, { server });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /gave up after 3 s of discovery: cannot reach https:\/\/127\.0\.0\.1:\d+: stalled at handshake: the TLS handshake did not complete/);
  });

  it('invalid: a TLS handshake that crawls (one byte every 200 ms): exit 6 naming the handshake', async (t) => {
    const real = tls.createServer(foreignCertificate(), (s) => s.end());
    await new Promise<void>((r) => real.listen(0, '127.0.0.1', r));
    t.after(() => real.close());
    const server = await slowHandshake((real.address() as { port: number }).port, 200);
    const r = await hostileJoin(t, { server });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /stalled at handshake/);
  });

  it('invalid: headers that never end (one header byte a second): exit 6 naming the headers', async (t) => {
    const server = await tlsServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      drip(socket, Buffer.from(`X-Slow: ${'a'.repeat(1000)}`), 1000);
    });
    const r = await hostileJoin(t, { server });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /stalled at headers: the server sent no complete response headers/);
    assert.ok(server.requests.length >= 1 && server.requests.every((l) => l.startsWith('GET /api/v1/namespaces/kube-public/configmaps/cluster-info')));
  });

  it('invalid: answers headers, then one body byte every 2 s: exit 6 naming the body', async (t) => {
    const server = await tlsServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n');
      drip(socket, Buffer.alloc(100000, 0x20), 2000);
    });
    const r = await hostileJoin(t, { server });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /stalled at body: the response body did not complete/);
  });

  it('invalid: a connection reset every time: exit 6 after retrying with backoff while T allows, the repeats folded', async (t) => {
    let connections = 0;
    const server = await tcpServer((s) => {
      connections++;
      s.destroy();
    });
    const r = await hostileJoin(t, { server, extra: ['-o', 'json'] });
    assert.equal(r.code, 6, r.stderr);
    assert.ok(connections >= 3 && connections <= 15, `retried with backoff, not in a tight loop (${connections} attempts in 3 s)`);
    // The same reason each time: printed once (agent/cli/render/fold.ts), not once per attempt.
    const lines = r.stdout.split('\n').filter((l) => l.includes('"progress"') && l.includes('retrying')).length;
    assert.ok(lines >= 1 && lines < connections, `${lines} retry lines for ${connections} attempts`);
  });
});
