import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAgent } from '../../../agent/transport/http.js';
import { waitForCertificate } from '../../../agent/csr/wait.js';
import { KubejoinError } from '../../../agent/errors.js';
import type { CsrObject } from '../../../agent/csr/api.js';
import { foreignCertificate } from '../../helpers/hostile-servers.js';

// The wait logic against a scripted server of our own: each watch request gets the next
// script entry (events to send, then the connection drops). Real approval by the real
// controllers is covered by the integration tests.

type Step = { events: { type: string; object: unknown }[] } | { status: number; body: unknown };
const cert = foreignCertificate();
let server: https.Server;
let script: Step[] = [];
let getReply: unknown;
const requests: string[] = [];

function csr(rv: string, conditions: { type: string; reason?: string; message?: string }[] = [], certificate?: string, uid = 'u1'): CsrObject {
  return {
    metadata: { name: 'node-csr-x', uid, resourceVersion: rv },
    spec: { request: '', signerName: 'kubernetes.io/kube-apiserver-client-kubelet' },
    status: {
      conditions: conditions.map((c) => ({ status: 'True', ...c })),
      ...(certificate ? { certificate: Buffer.from(certificate).toString('base64') } : {}),
    },
  };
}

before(async () => {
  server = https.createServer(cert, (req, res) => {
    requests.push(req.url ?? '');
    if (!req.url?.includes('watch=true')) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(getReply));
      return;
    }
    const step = script.shift();
    if (!step) return void res.writeHead(500).end();
    if ('status' in step) return void res.writeHead(step.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(step.body));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (const e of step.events) res.write(`${JSON.stringify(e)}\n`);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
after(() => new Promise<void>((r) => server.close(() => r())));

function api() {
  return {
    server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    agent: createAgent({ ca: cert.cert }),
    bearer: 'abcdef.0123456789abcdef',
    timeoutMs: 5000,
  };
}
const opts = (progress: string[]) => ({ name: 'node-csr-x', uid: 'u1', resourceVersion: '10', onProgress: (m: string) => progress.push(m) });

describe('waiting for the certificate', () => {
  it('valid: re-watches from the last resourceVersion after the stream drops; Approved is not done until issued', async () => {
    requests.length = 0;
    script = [
      { events: [{ type: 'MODIFIED', object: csr('11') }] },
      { events: [{ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } }] },
      {
        events: [
          { type: 'MODIFIED', object: csr('16', [{ type: 'Approved' }]) },
          { type: 'MODIFIED', object: csr('17', [{ type: 'Approved' }], 'PEM') },
        ],
      },
    ];
    const progress: string[] = [];
    assert.equal(await waitForCertificate(api(), opts(progress)), 'PEM');
    assert.deepEqual(
      requests.map((u) => new URLSearchParams(u.split('?')[1]).get('resourceVersion')),
      ['10', '11', '15'],
    );
    assert.ok(requests.every((u) => u.includes('fieldSelector=metadata.name%3Dnode-csr-x')));
    assert.ok(progress.includes('the watch ended, watching again'));
    assert.ok(progress.includes('approved, waiting for the certificate to be issued'));
  });
  it('valid: a 410 Gone ERROR event re-reads the object', async () => {
    script = [{ events: [{ type: 'ERROR', object: { kind: 'Status', code: 410, metadata: {} } }] }];
    getReply = csr('30', [{ type: 'Approved' }], 'PEM2');
    assert.equal(await waitForCertificate(api(), opts([])), 'PEM2');
  });
  const endings: [string, Step, RegExp][] = [
    [
      'Denied with the server reason',
      { events: [{ type: 'MODIFIED', object: csr('12', [{ type: 'Denied', reason: 'Policy', message: 'not this node' }]) }] },
      /was denied by the cluster: Policy \(not this node\)/,
    ],
    [
      'Failed',
      { events: [{ type: 'MODIFIED', object: csr('12', [{ type: 'Approved' }, { type: 'Failed', reason: 'SignerError' }]) }] },
      /was failed by the cluster: SignerError/,
    ],
    ['deleted', { events: [{ type: 'DELETED', object: csr('12') }] }, /was deleted while waiting/],
    ['UID changed', { events: [{ type: 'MODIFIED', object: csr('12', [], undefined, 'u2') }] }, /replaced by another one \(UID changed\)/],
  ];
  for (const [name, step, pattern] of endings) {
    it(`invalid: ${name} ends the wait (exit 5)`, async () => {
      script = [step];
      await assert.rejects(
        waitForCertificate(api(), opts([])),
        (e: unknown) => e instanceof KubejoinError && e.category === 'certificate-denied' && pattern.test(e.message),
      );
    });
  }
  it('invalid: 401 on the watch is a refused token (exit 4)', async () => {
    script = [{ status: 401, body: { kind: 'Status', message: 'Unauthorized' } }];
    await assert.rejects(waitForCertificate(api(), opts([])), (e: unknown) => e instanceof KubejoinError && e.category === 'token-refused');
  });
});
