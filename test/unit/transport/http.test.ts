import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgent, request, sharedAgent, TransportError } from '../../../agent/transport/http.js';
import { BodyLimitError } from '../../../agent/transport/errors.js';
import { foreignCertificate } from '../../helpers/hostile-servers.js';

// The transport against servers of our own: pinning whatever the environment says, the
// token only on a verified socket, each stage's deadline named, bodies capped.

const good = foreignCertificate();
const evil = foreignCertificate();
const authorizations: (string | undefined)[] = [];
let goodServer: https.Server;
let evilServer: https.Server;
let stallServer: https.Server;

const url = (s: https.Server, path = '/'): string => `https://127.0.0.1:${(s.address() as AddressInfo).port}${path}`;

before(async () => {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    authorizations.push(req.headers.authorization);
    if (req.url === '/big') return void res.end('x'.repeat(2 * 1024 * 1024));
    res.end('{"ok":true}');
  };
  goodServer = https.createServer(good, handler);
  evilServer = https.createServer(evil, handler);
  stallServer = https.createServer(good, (req, res) => {
    if (req.url === '/body') res.writeHead(200, { 'Content-Length': '10' }).write('x');
  });
  await Promise.all([goodServer, evilServer, stallServer].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});
after(() => {
  for (const s of [goodServer, evilServer, stallServer]) {
    s.closeAllConnections();
    s.close();
  }
});

describe('transport', () => {
  it('valid: a pinned agent reaches a server its CA verifies, with the token', async () => {
    authorizations.length = 0;
    const res = await request({ url: url(goodServer), agent: createAgent({ ca: good.cert }), bearer: 'abcdef.0123456789abcdef', timeoutMs: 5000 });
    assert.equal(res.status, 200);
    assert.deepEqual(authorizations, ['Bearer abcdef.0123456789abcdef']);
  });

  it('invalid: NODE_TLS_REJECT_UNAUTHORIZED=0 does not switch pinning off; the token is never written', async () => {
    authorizations.length = 0;
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const err = await request({ url: url(evilServer), agent: createAgent({ ca: good.cert }), bearer: 'abcdef.0123456789abcdef', timeoutMs: 5000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof TransportError, String(err));
      assert.equal(err.stage, 'handshake');
      assert.equal(err.transient, false, 'a verification failure is not retried');
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
    assert.deepEqual(authorizations, [], 'nothing reached the unverified server');
  });

  it('invalid: a token is refused on the unverified agent before anything is sent', async () => {
    await assert.rejects(
      request({ url: url(goodServer), agent: sharedAgent({ insecure: true }), bearer: 'abcdef.0123456789abcdef', timeoutMs: 5000 }),
      /refusing to send a token over an unverified connection/,
    );
  });

  it('invalid: headers that never come end at the headers deadline, naming the stage', async () => {
    const deadlines = { dns: 1000, connect: 1000, handshake: 1000, headers: 300, body: 300 };
    const err = await request({ url: url(stallServer, '/headers'), agent: createAgent({ ca: good.cert }), timeoutMs: 5000, deadlines }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof TransportError);
    assert.equal(err.stage, 'headers');
    assert.match(err.message, /stalled at headers: the server sent no complete response headers within 300 ms/);
  });

  it('invalid: a body that stops ends at the body deadline; an abort names the stage it came in', async () => {
    const deadlines = { dns: 1000, connect: 1000, handshake: 1000, headers: 1000, body: 300 };
    const err = await request({ url: url(stallServer, '/body'), agent: createAgent({ ca: good.cert }), timeoutMs: 5000, deadlines }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof TransportError && err.stage === 'body', String(err));
    const aborted = await request({
      url: url(stallServer, '/headers'),
      agent: createAgent({ ca: good.cert }),
      timeoutMs: 5000,
      signal: AbortSignal.timeout(200),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(aborted instanceof TransportError);
    assert.match(aborted.message, /stalled at headers: .* before the deadline/);
  });

  it('valid: a burst of 200 requests on the shared agent opens at most 64 connections (async connect counted)', async () => {
    let connections = 0;
    const counting = https.createServer(good, (_req, res) => setTimeout(() => res.end('{}'), 5));
    counting.on('secureConnection', () => connections++);
    await new Promise<void>((r) => counting.listen(0, '127.0.0.1', r));
    try {
      const agent = sharedAgent({ ca: good.cert });
      const all = await Promise.all(Array.from({ length: 200 }, () => request({ url: url(counting), agent, timeoutMs: 20_000 })));
      assert.ok(all.every((r) => r.status === 200));
      assert.ok(connections <= 64, `${connections} connections`);
    } finally {
      counting.closeAllConnections();
      counting.close();
    }
  });

  it('invalid: a body over the cap is refused at the cap, naming it', async () => {
    const err = await request({
      url: url(goodServer, '/big'),
      agent: createAgent({ ca: good.cert }),
      timeoutMs: 5000,
      limit: 1024 * 1024,
      what: 'the answer',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof BodyLimitError);
    assert.equal(err.message, 'the answer is larger than the limit of 1 MiB: refusing to read more');
  });
});
