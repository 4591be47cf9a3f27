import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { openTunnel, proxyConfig, ProxyError } from '../../../agent/transport/proxy.js';
import { servingCertificate } from '../../helpers/certs.js';

// An https:// proxy is verified against the system store whatever the environment says
// (docs/protocol.md §3.11): with NODE_TLS_REJECT_UNAUTHORIZED=0 an unverified proxy would
// receive the proxy user and password in Proxy-Authorization.

test('invalid: an https:// proxy with an untrusted certificate under NODE_TLS_REJECT_UNAUTHORIZED=0: refused before CONNECT', async (t) => {
  const received: Buffer[] = [];
  const server = tls.createServer(await servingCertificate(), (socket) => {
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  t.after(() => {
    if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
  });
  const { port } = server.address() as AddressInfo;
  const config = proxyConfig({ HTTPS_PROXY: `https://edge:pr0xy-s3cret@127.0.0.1:${port}` })!;
  const outcome = await openTunnel(config, 'api.example.com', 6443, 5000).then(
    (socket) => {
      socket.destroy();
      return undefined;
    },
    (err: unknown) => err,
  );
  assert.ok(outcome instanceof ProxyError, `the tunnel was opened: ${String(outcome)}`);
  assert.match(
    outcome.message,
    /cannot connect to the proxy https:\/\/\*\*\*@127\.0\.0\.1:\d+ \(HTTPS_PROXY\): its certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/,
  );
  assert.match(outcome.message, /NODE_TLS_REJECT_UNAUTHORIZED=0 does not apply to the proxy/);
  assert.ok(!outcome.message.includes('pr0xy-s3cret'));
  const seen = Buffer.concat(received).toString('latin1');
  assert.ok(!/CONNECT|Proxy-Authorization/i.test(seen), `the untrusted proxy received: ${seen}`);
});
