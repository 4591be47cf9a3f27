import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { fetchSignedClusterInfo, type PollOptions } from '../../../agent/discovery/token.js';
import { KubejoinError } from '../../../agent/errors.js';
import { sharedAgent } from '../../../agent/transport/http.js';
import { servingCertificate } from '../../helpers/certs.js';
import { TOKEN_ID } from '../../helpers/fixtures.js';

// The discovery poll loop (fetchSignedClusterInfo, docs/protocol.md §3.1-3.2) against a tiny
// HTTPS server of our own on 127.0.0.1 that answers each GET with the next scripted reply
// (the last one repeats). The real bootstrapsigner is covered by the integration tests.

type Reply = { status: number; body?: unknown; raw?: string };
const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters: []\n';
const SIGNATURE = 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..c2lnbmF0dXJl';
const configMap = (data: Record<string, string>): Reply => ({ status: 200, body: { kind: 'ConfigMap', data } });
const SIGNED = configMap({ kubeconfig: KUBECONFIG, [`jws-kubeconfig-${TOKEN_ID}`]: SIGNATURE });
const UNSIGNED = configMap({ kubeconfig: KUBECONFIG, 'jws-kubeconfig-zzzzzz': SIGNATURE });
const NO_KUBECONFIG = configMap({ [`jws-kubeconfig-${TOKEN_ID}`]: SIGNATURE });
const NOT_FOUND: Reply = { status: 404, body: { kind: 'Status', code: 404 } };
const FORBIDDEN: Reply = { status: 403, body: { kind: 'Status', code: 403 } };

let server: https.Server;
let endpoint: string;
let script: Reply[] = [];
let paths: string[] = [];

before(async () => {
  server = https.createServer(await servingCertificate(), (req, res) => {
    paths.push(req.url ?? '');
    const reply = (script.length > 1 ? script.shift() : script[0]) ?? { status: 500 };
    res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(reply.raw ?? JSON.stringify(reply.body ?? {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  paths = [];
});

/**
 * Options that try four times, 50 ms apart, then ask for a delay past the deadline, which
 * ends the wait at once with the last reason. (A wait that runs into the deadline instead
 * would give its last request only what is left of the time, which on a busy machine can
 * end as "no answer" rather than the reason the test is about.) Records every retry and
 * every delay asked for.
 */
function options(extra: Partial<PollOptions> = {}): PollOptions & { retries: [string, number][]; delays: number[] } {
  const retries: [string, number][] = [];
  const delays: number[] = [];
  return {
    agent: sharedAgent({ insecure: true }),
    timeoutMs: 5000,
    onRetry: (reason, attempt) => retries.push([reason, attempt]),
    delayMs: (attempt) => (delays.push(attempt), attempt <= 4 ? 50 : 60_000),
    ...extra,
    retries,
    delays,
  };
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

function failure(category: string, pattern: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof KubejoinError, `not a KubejoinError: ${String(e)}`);
    assert.equal(e.category, category, e.message);
    assert.match(e.message, pattern);
    return true;
  };
}

describe('discovery poll loop: waiting for our signature', () => {
  it('valid: signed at once: one GET of kube-public/cluster-info, no retry', async () => {
    script = [SIGNED];
    const opts = options();
    const { clock, ...served } = await fetchSignedClusterInfo(endpoint, TOKEN_ID, opts);
    assert.deepEqual(served, { kubeconfig: KUBECONFIG, signature: SIGNATURE });
    assert.ok(clock && Number.isFinite(clock.serverAt) && Number.isFinite(clock.skewMs), "the server's Date header is measured");
    assert.deepEqual(paths, ['/api/v1/namespaces/kube-public/configmaps/cluster-info']);
    assert.deepEqual(opts.retries, []);
  });

  it('valid: retries while the signature is absent, then returns the exact served strings', async () => {
    script = [UNSIGNED, UNSIGNED, SIGNED];
    const opts = options();
    const { clock, ...served } = await fetchSignedClusterInfo(endpoint, TOKEN_ID, opts);
    assert.deepEqual(served, { kubeconfig: KUBECONFIG, signature: SIGNATURE });
    assert.ok(clock && Number.isFinite(clock.serverAt) && Number.isFinite(clock.skewMs), "the server's Date header is measured");
    assert.equal(paths.length, 3);
    const reason = `no JWS signature for token id "${TOKEN_ID}" in cluster-info yet`;
    assert.deepEqual(opts.retries, [
      [reason, 2],
      [reason, 3],
    ]);
    assert.deepEqual(opts.delays, [2, 3]);
  });

  it('valid: waits through an unprepared cluster and a server error until it is signed', async () => {
    script = [NOT_FOUND, { status: 503 }, NO_KUBECONFIG, SIGNED];
    const opts = options();
    await fetchSignedClusterInfo(endpoint, TOKEN_ID, opts);
    assert.deepEqual(
      opts.retries.map(([reason]) => reason),
      ['the ConfigMap kube-public/cluster-info does not exist', 'the server answered HTTP 503', 'kube-public/cluster-info has no "kubeconfig" key'],
    );
  });
});

describe('discovery poll loop: the error at the deadline names the last reason', () => {
  const cases: [string, Reply[], string, RegExp][] = [
    [
      'invalid: never signed for our token',
      [UNSIGNED],
      'token-refused',
      new RegExp(
        `^token id "${TOKEN_ID}" is invalid for this cluster or it has expired \\(after 5 s of discovery, cluster-info still has no signature for it\\)$`,
      ),
    ],
    [
      'invalid: cluster-info does not exist',
      [NOT_FOUND],
      'untrusted-cluster',
      /is not set up for token bootstrapping: the ConfigMap kube-public\/cluster-info does not exist$/,
    ],
    [
      'invalid: anonymous read forbidden',
      [FORBIDDEN],
      'untrusted-cluster',
      /is not set up for token bootstrapping: anonymous read of kube-public\/cluster-info is not allowed \(HTTP 403\)$/,
    ],
    [
      'invalid: cluster-info without a kubeconfig',
      [NO_KUBECONFIG],
      'untrusted-cluster',
      /is not set up for token bootstrapping: kube-public\/cluster-info has no "kubeconfig" key$/,
    ],
    ['invalid: the server keeps failing', [{ status: 500 }], 'timeout', /^gave up after 5 s of discovery: the server answered HTTP 500$/],
    [
      'invalid: the answer is not JSON',
      [{ status: 200, raw: '<html>' }],
      'timeout',
      /^gave up after 5 s of discovery: the server answered with something that is not JSON$/,
    ],
    [
      'invalid: unprepared at first, then unsigned: ends as unsigned',
      [NOT_FOUND, NOT_FOUND, UNSIGNED],
      'token-refused',
      /cluster-info still has no signature for it/,
    ],
    [
      'invalid: unsigned at first, then gone: ends as unprepared',
      [UNSIGNED, UNSIGNED, NOT_FOUND],
      'untrusted-cluster',
      /the ConfigMap kube-public\/cluster-info does not exist$/,
    ],
  ];
  for (const [name, replies, category, pattern] of cases) {
    it(name, async () => {
      script = [...replies];
      const opts = options();
      await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), failure(category, pattern));
      assert.equal(paths.length, 4, 'asked four times');
      assert.deepEqual(
        opts.retries.map(([, attempt]) => attempt),
        [2, 3, 4],
        'told about every retry',
      );
      assert.deepEqual(opts.delays, [2, 3, 4, 5]);
    });
  }

  it('invalid: nothing listens on the endpoint: retried (an API server may be starting), ends naming the endpoint and the refusal', async () => {
    const closed = `127.0.0.1:${await closedPort()}`;
    const opts = options();
    await assert.rejects(
      fetchSignedClusterInfo(closed, TOKEN_ID, opts),
      failure('timeout', new RegExp(`^nothing accepted a connection at ${closed.replace(/\./g, '\\.')} \\(connection refused, after 5 s of discovery\\)$`)),
    );
    assert.equal(opts.retries.length, 3);
    assert.match(opts.retries[0]![0], /^connection refused at .*: nothing listens there/);
  });

  it('invalid: a host name that does not exist (NXDOMAIN) ends at once, not retried', async () => {
    const opts = options();
    await assert.rejects(
      fetchSignedClusterInfo('no-such-host.invalid:6443', TOKEN_ID, opts),
      failure('timeout', /^the host name no-such-host\.invalid does not resolve/),
    );
    assert.equal(opts.retries.length, 0);
  });
});

describe('discovery poll loop: delay and cancellation', () => {
  it('valid: asks the delay function for each next attempt, in order', async () => {
    script = [UNSIGNED, UNSIGNED, UNSIGNED, UNSIGNED, UNSIGNED, SIGNED];
    const delays: number[] = [];
    const opts = options({ delayMs: (attempt) => (delays.push(attempt), 20) });
    await fetchSignedClusterInfo(endpoint, TOKEN_ID, opts);
    assert.deepEqual(delays, [2, 3, 4, 5, 6]);
    assert.deepEqual(
      opts.retries.map(([, attempt]) => attempt),
      [2, 3, 4, 5, 6],
    );
  });

  it('invalid: a delay that would pass the deadline ends the wait at once, without sleeping', async () => {
    script = [UNSIGNED];
    const opts = options({ timeoutMs: 60_000, delayMs: () => 120_000 });
    const started = Date.now();
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), failure('token-refused', /after 60 s of discovery/));
    assert.equal(paths.length, 1);
    assert.deepEqual(opts.retries, []);
    assert.ok(Date.now() - started < 10_000, 'did not sleep towards the deadline');
  });

  it('invalid: aborted while waiting between attempts: rejects with the abort reason, no further request', async () => {
    script = [UNSIGNED];
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const opts = options({ timeoutMs: 60_000, signal: controller.signal, delayMs: () => 30_000, onRetry: () => controller.abort(reason) });
    const started = Date.now();
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), (e: unknown) => e === reason);
    assert.ok(Date.now() - started < 10_000, 'the 30 s wait was cut short');
    assert.equal(paths.length, 1);
  });

  it('invalid: already aborted: rejects with the abort reason without a request', async () => {
    script = [SIGNED];
    const reason = new Error('cancelled before');
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, options({ signal: AbortSignal.abort(reason) })), (e: unknown) => e === reason);
    assert.equal(paths.length, 0);
  });

  it('invalid: a transport error the caller marks fatal ends the wait at once', async () => {
    const fatal = new KubejoinError('untrusted-cluster', 'fatal for the test');
    const seen: string[] = [];
    const opts = options({
      agent: sharedAgent({ ca: (await servingCertificate()).cert }),
      timeoutMs: 60_000,
      fatal: (err) => (seen.push(err.message), fatal),
    });
    script = [SIGNED];
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), (e: unknown) => e === fatal);
    assert.equal(seen.length, 1);
    assert.deepEqual(opts.retries, []);
  });
});
