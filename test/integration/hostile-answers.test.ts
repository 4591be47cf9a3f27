import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { caCertHash } from '../harness/index.js';
import { ensureBuilt } from '../helpers/cli.js';
import { foreignCertificate } from '../helpers/hostile-servers.js';
import { algNone, answer, clusterInfoJson, kubeconfigWithoutCa, signedWith } from './hostile/answers.js';
import { hostileJoin, strangerToken } from './hostile/join.js';
import { flood, tcpServer, tlsServer } from './hostile/servers.js';

// Servers that answer, badly: too much, the wrong thing, or a forged cluster-info. Each ends
// within T + 1 s, below 1.6x a bare node's memory, with its documented exit code.

describe('hostile servers that answer badly', { concurrency: false }, () => {
  it('setup: the CLI is built', async () => ensureBuilt());

  it('invalid: an endless body at full speed: exit 3 at the 1 MiB cap, memory bounded', async (t) => {
    const server = await tlsServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const piece = randomBytes(32 * 1024).toString('hex');
      flood(socket, Buffer.from(`${piece.length.toString(16)}\r\n${piece}\r\n`));
    });
    const r = await hostileJoin(t, { server });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cluster-info from 127\.0\.0\.1:\d+ is larger than the limit of 1 MiB/);
  });

  it('invalid: a 256 MiB cluster-info (Content-Length announced): exit 3 naming the limit', async (t) => {
    const server = await tlsServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${256 * 1024 * 1024}\r\n\r\n{"data":{"kubeconfig":"`);
      flood(socket, Buffer.alloc(64 * 1024, 0x61));
    });
    const r = await hostileJoin(t, { server });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /larger than the limit of 1 MiB/);
  });

  it('invalid: a redirect is not followed: exit 6 when discovery gives up, the last answer named', async (t) => {
    const server = await tlsServer((socket) => answer(socket, 302, '', { Location: 'https://127.0.0.1:1/' }));
    const r = await hostileJoin(t, { server, discoveryTimeoutMs: 2000 });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /the server answered HTTP 302/);
    assert.ok(server.requests.length >= 2, 'retried');
  });

  it('invalid: plain HTTP where TLS is expected: exit 6 naming the handshake', async (t) => {
    const server = await tcpServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')));
    const r = await hostileJoin(t, { server, discoveryTimeoutMs: 2000 });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /\(at handshake\)/);
  });

  it('invalid: garbage instead of HTTP after the handshake: exit 6, retried until T', async (t) => {
    const server = await tlsServer((socket) => socket.end(randomBytes(4096)));
    const r = await hostileJoin(t, { server, discoveryTimeoutMs: 2000 });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /gave up after 2 s of discovery: cannot reach/);
  });

  it('invalid: a cluster-info that is not JSON: exit 6 saying so', async (t) => {
    const server = await tlsServer((socket) => answer(socket, 200, '<html>hello</html>'));
    const r = await hostileJoin(t, { server, discoveryTimeoutMs: 2000 });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /something that is not JSON/);
  });

  it('invalid: an unsigned JWS (alg: none): exit 3, the signature does not match', async (t) => {
    const token = strangerToken();
    const id = token.split('.')[0]!;
    const kubeconfig = kubeconfigWithoutCa('https://127.0.0.1:1');
    const server = await tlsServer((socket) => answer(socket, 200, clusterInfoJson(kubeconfig, id, algNone(id))));
    const r = await hostileJoin(t, { server, token });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /JWS signature of cluster-info does not match/);
  });

  it('invalid: a correctly signed cluster-info without a CA: exit 3, no CA to pin', async (t) => {
    const token = strangerToken();
    const kubeconfig = kubeconfigWithoutCa('https://127.0.0.1:1');
    const server = await tlsServer((socket) => answer(socket, 200, clusterInfoJson(kubeconfig, token.split('.')[0]!, signedWith(kubeconfig, token))));
    const r = await hostileJoin(t, { server, token });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /certificate-authority|no CA/i);
  });

  it('invalid: a signed cluster-info naming a CA the server cannot prove it holds (pin matches that CA): exit 3', async (t) => {
    const token = strangerToken();
    const ca = foreignCertificate().cert;
    const kubeconfig = [
      'apiVersion: v1',
      'clusters:',
      '- cluster:',
      `    certificate-authority-data: ${Buffer.from(ca).toString('base64')}`,
      '    server: https://127.0.0.1:1',
      '  name: ""',
      'kind: Config',
      '',
    ].join('\n');
    const server = await tlsServer((socket) => answer(socket, 200, clusterInfoJson(kubeconfig, token.split('.')[0]!, signedWith(kubeconfig, token))));
    const r = await hostileJoin(t, { server, token, pin: caCertHash(ca) });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /could not be verified with the pinned CA/);
  });
});
