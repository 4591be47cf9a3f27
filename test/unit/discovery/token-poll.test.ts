import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { fetchSignedClusterInfo, type PollOptions } from '../../../agent/discovery/token.js';
import { KubejoinError } from '../../../agent/errors.js';
import { sharedAgent } from '../../../agent/transport/http.js';
import { servingCertificate } from '../../helpers/certs.js';
import { TOKEN_ID } from '../../helpers/fixtures.js';
import {
  CACHED,
  FORBIDDEN,
  FRESH,
  KUBECONFIG,
  NO_KUBECONFIG,
  NOT_FOUND,
  SIGNATURE,
  SIGNED,
  UNSIGNED,
  scriptedServer,
  type Reply,
  type Scripted,
} from './scripted-server.js';

// The discovery poll loop (fetchSignedClusterInfo, docs/protocol.md §3.1-3.2) against a
// scripted HTTPS server of our own (./scripted-server.ts). Its first read asks the cache.

let server: Scripted;
let endpoint: string;
before(async () => {
  server = await scriptedServer();
  endpoint = server.endpoint;
});
after(() => server.close());
beforeEach(() => server.reset());
const script = (replies: Reply[]): void => void (server.script = replies);

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
    script([SIGNED]);
    const opts = options();
    const { clock, ...served } = await fetchSignedClusterInfo(endpoint, TOKEN_ID, opts);
    assert.deepEqual(served, { kubeconfig: KUBECONFIG, signature: SIGNATURE });
    assert.ok(clock && Number.isFinite(clock.serverAt) && Number.isFinite(clock.skewMs), "the server's Date header is measured");
    assert.deepEqual(server.paths, [CACHED], "one GET, answered from the API server's cache");
    assert.deepEqual(opts.retries, []);
  });

  it('valid: retries while the signature is absent, then returns the exact served strings', async () => {
    script([UNSIGNED, UNSIGNED, SIGNED]);
    const opts = options();
    const { clock, ...served } = await fetchSignedClusterInfo(endpoint, TOKEN_ID, opts);
    assert.deepEqual(served, { kubeconfig: KUBECONFIG, signature: SIGNATURE });
    assert.ok(clock && Number.isFinite(clock.serverAt) && Number.isFinite(clock.skewMs), "the server's Date header is measured");
    assert.deepEqual(server.paths, [CACHED, FRESH, FRESH, FRESH], 'the cache first, etcd at once, then etcd on every retry');
    const reason = `no JWS signature for token id "${TOKEN_ID}" in cluster-info yet`;
    assert.deepEqual(opts.retries, [
      [reason, 2],
      [reason, 3],
    ]);
    assert.deepEqual(opts.delays, [2, 3]);
  });

  it('valid: waits through an unprepared cluster and a server error until it is signed', async () => {
    script([NOT_FOUND, { status: 503 }, NO_KUBECONFIG, SIGNED]);
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
      script([...replies]);
      const opts = options();
      await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), failure(category, pattern));
      assert.equal(server.paths[0], CACHED, 'the first attempt asks the cache');
      assert.deepEqual(server.paths.slice(-3), [FRESH, FRESH, FRESH], 'every retry asks etcd');
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
    script([UNSIGNED, UNSIGNED, UNSIGNED, UNSIGNED, UNSIGNED, SIGNED]);
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
    script([UNSIGNED]);
    const opts = options({ timeoutMs: 60_000, delayMs: () => 120_000 });
    const started = Date.now();
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), failure('token-refused', /after 60 s of discovery/));
    assert.deepEqual(server.paths, [CACHED, FRESH]);
    assert.deepEqual(opts.retries, []);
    assert.ok(Date.now() - started < 10_000, 'did not sleep towards the deadline');
  });

  it('invalid: aborted while waiting between attempts: rejects with the abort reason, no further request', async () => {
    script([UNSIGNED]);
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const opts = options({ timeoutMs: 60_000, signal: controller.signal, delayMs: () => 30_000, onRetry: () => controller.abort(reason) });
    const started = Date.now();
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), (e: unknown) => e === reason);
    assert.ok(Date.now() - started < 10_000, 'the 30 s wait was cut short');
    assert.deepEqual(server.paths, [CACHED, FRESH]);
  });

  it('invalid: already aborted: rejects with the abort reason without a request', async () => {
    script([SIGNED]);
    const reason = new Error('cancelled before');
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, options({ signal: AbortSignal.abort(reason) })), (e: unknown) => e === reason);
    assert.deepEqual(server.paths, []);
  });

  it('invalid: a transport error the caller marks fatal ends the wait at once', async () => {
    const fatal = new KubejoinError('untrusted-cluster', 'fatal for the test');
    const seen: string[] = [];
    const opts = options({
      agent: sharedAgent({ ca: (await servingCertificate()).cert }),
      timeoutMs: 60_000,
      fatal: (err) => (seen.push(err.message), fatal),
    });
    script([SIGNED]);
    await assert.rejects(fetchSignedClusterInfo(endpoint, TOKEN_ID, opts), (e: unknown) => e === fatal);
    assert.equal(seen.length, 1);
    assert.deepEqual(opts.retries, []);
  });
});
