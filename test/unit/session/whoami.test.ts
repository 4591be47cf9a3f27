import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { openNodeSession, proveIdentity } from '../../../agent/session/index.js';
import { KubejoinError } from '../../../agent/errors.js';
import { foreignCertificate } from '../../helpers/hostile-servers.js';

// The SelfSubjectReview with the new client certificate, against a scripted server of our
// own (a TLS-terminating front end cannot forward a client certificate to the real one):
// transient answers are retried until the deadline; 401 is final.

const serverCert = foreignCertificate();
const client = foreignCertificate();
let server: https.Server;
let script: number[] = [];
const seen: { status: number; clientCert: boolean }[] = [];

before(async () => {
  server = https.createServer({ ...serverCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const status = script.shift() ?? 201;
    seen.push({ status, clientCert: Object.keys((req.socket as TLSSocket).getPeerCertificate()).length > 0 });
    const body =
      status === 201
        ? { kind: 'SelfSubjectReview', status: { userInfo: { username: 'system:node:n1', groups: ['system:nodes'] } } }
        : { kind: 'Status', message: `scripted ${status}` };
    res.writeHead(status, { 'Content-Type': 'application/json', ...(status === 429 ? { 'Retry-After': '0' } : {}) }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
after(() => server.close());

// The one SelfSubjectReview, over the one node session, as the join proves its new credential.
async function call(signal?: AbortSignal) {
  const session = openNodeSession(
    { server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: serverCert.cert },
    { certPem: client.cert, keyPem: client.key },
    {
      timeoutMs: 5000,
      delayMs: () => 10,
      ...(signal ? { signal } : {}),
    },
  );
  try {
    return await proveIdentity(session, 'system:node:n1', 'the new credential');
  } finally {
    session.close();
  }
}

describe('verify-credentials (SelfSubjectReview)', () => {
  it('valid: 500, 503 and 429 are retried, then the identity is read, with the client certificate each time', async () => {
    script = [500, 503, 429];
    seen.length = 0;
    assert.deepEqual(await call(), { username: 'system:node:n1', groups: ['system:nodes'] });
    assert.deepEqual(
      seen.map((s) => s.status),
      [500, 503, 429, 201],
    );
    assert.ok(seen.every((s) => s.clientCert));
  });

  it('invalid: 500 until the deadline ends as a timeout (exit 6) naming the last answer', async () => {
    script = Array(1000).fill(500);
    const err = await call(AbortSignal.timeout(300)).then(
      () => undefined,
      (e: unknown) => e,
    );
    script = [];
    assert.ok(err instanceof KubejoinError);
    assert.equal(err.exitCode, 6);
    assert.match(err.message, /HTTP 500/);
  });

  it('invalid: 401 is not retried: the cluster does not accept the credential (exit 5)', async () => {
    // Let a request the previous case's deadline cut short land first (it would take the 401).
    await new Promise((r) => setTimeout(r, 300));
    script = [401];
    seen.length = 0;
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof KubejoinError && err.exitCode === 5, String(err));
    assert.equal(seen.length, 1);
  });
});
