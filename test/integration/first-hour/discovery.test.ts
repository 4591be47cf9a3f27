import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { assertNoSecret, ensureBuilt, fileStoreFlags, kubejoin, writeTokenFile } from '../../helpers/cli.js';
import { filesUnder, workdir } from '../../helpers/temp.js';

// An operator's common discovery mistakes, with the built CLI against the real control plane:
// an unknown token id (one waiting line that turns into "may be mistyped" after the signer's
// 15 s, folded repeats), a wrong secret for a real token id (exit 4, not the attack message),
// a name that does not resolve and a refused port (their own words, at once).

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

const discoverLines = (stdout: string): string[] => stdout.split('\n').filter((l) => l.startsWith('[discover] ') && /retrying/.test(l));

describe('discovery says what it knows', () => {
  it('invalid: an unknown token id: folded waiting lines with attempt and time left, then "may be mistyped" naming doctor; exit 4', async (t) => {
    const dir = await workdir(t);
    const token = 'zzzzzz.0123456789abcdef';
    const file = await writeTokenFile(dir, token);
    const args = ['join', cluster.endpoint, '--token-file', file, '--discovery-token-ca-cert-hash', cluster.caCertHash, '--discovery-timeout', '30s'];
    const r = await kubejoin([...args, ...fileStoreFlags(dir)]);
    assert.equal(r.code, 4, r.stderr);
    const lines = discoverLines(r.stdout);
    assert.match(lines[0] ?? '', /no JWS signature for token id "zzzzzz" in cluster-info yet; retrying \(attempt 2, [23]\d s left\)/);
    const late = lines.filter((l) => /may be mistyped/.test(l));
    assert.ok(late.length >= 1, r.stdout);
    assert.match(
      late[0]!,
      /after 15 s: the token id may be mistyped, or the token expired or deleted \(check with "kubejoin doctor .* --token-file <file>"\); retrying \(attempt \d+, \d+ s left\)/,
    );
    // About 10 attempts in 30 s; one line per reason (a repeat only every 30 s).
    assert.ok(lines.length <= 3, `folded:\n${lines.join('\n')}`);
    assert.match(r.stderr, /token id "zzzzzz" is invalid for this cluster or it has expired/);
    assert.match(r.stderr, /kubejoin doctor/);
    assertNoSecret(r, token);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });

  it('invalid: JSON output folds the repeats too, and ends with the result', async (t) => {
    const dir = await workdir(t);
    const file = await writeTokenFile(dir, 'zzzzzy.0123456789abcdef');
    const r = await kubejoin([
      'join',
      cluster.endpoint,
      '--token-file',
      file,
      '--discovery-token-ca-cert-hash',
      cluster.caCertHash,
      '--discovery-timeout',
      '4s',
      '-o',
      'json',
      ...fileStoreFlags(dir),
    ]);
    assert.equal(r.code, 4, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; message?: string; result?: { ok: boolean } });
    const retries = events.filter((e) => e.type === 'progress' && /retrying/.test(e.message ?? ''));
    assert.equal(retries.length, 1, JSON.stringify(retries));
    assert.equal(events.at(-1)?.type, 'result');
    assert.equal(events.at(-1)?.result?.ok, false);
  });

  it('invalid: the right token id with a wrong secret is exit 4 "the token secret does not match", not an attack', async (t) => {
    const dir = await workdir(t);
    const real = await cluster.signedToken();
    const wrong = `${real.split('.')[0]}.${'0123456789abcdef'}`;
    assert.notEqual(wrong, real);
    const file = await writeTokenFile(dir, wrong);
    const r = await kubejoin(['join', cluster.endpoint, '--token-file', file, '--discovery-token-ca-cert-hash', cluster.caCertHash, ...fileStoreFlags(dir)]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, new RegExp(`error: the token secret does not match token id "${real.split('.')[0]}"`));
    assert.doesNotMatch(r.stderr, /cannot be trusted|intercept/);
    assertNoSecret(r, wrong);
    assertNoSecret(r, real);
    assert.deepEqual(await filesUnder(dir), ['token']);

    const d = await kubejoin(['doctor', cluster.endpoint, '--token-file', file, '--discovery-token-ca-cert-hash', cluster.caCertHash]);
    assert.equal(d.code, 4, d.stdout + d.stderr);
    assert.match(d.stdout, /the token secret does not match token id/);
    assert.doesNotMatch(d.stdout, /changed on the way/);
    assertNoSecret(d, wrong);
  });

  it('invalid: a host name that does not resolve is said at once, in its own words (exit 6, not "timed out")', async (t) => {
    const dir = await workdir(t);
    const file = await writeTokenFile(dir, 'abcdef.0123456789abcdef');
    const r = await kubejoin([
      'join',
      'no-such-host.invalid:6443',
      '--token-file',
      file,
      '--discovery-token-ca-cert-hash',
      cluster.caCertHash,
      ...fileStoreFlags(dir),
    ]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /the host name no-such-host\.invalid does not resolve \(DNS: no such host\)/);
    assert.doesNotMatch(r.stderr, /gave up|s of discovery/);
    assert.equal(discoverLines(r.stdout).length, 0, 'not retried');

    // The doctor names that one cause (TCP is not run after it) and says what to do.
    const d = await kubejoin(['doctor', 'no-such-host.invalid:6443', '-o', 'json']);
    assert.equal(d.code, 6, d.stderr);
    const report = JSON.parse(d.stdout) as { causes: { check: string }[]; checks: { id: string; status: string }[] };
    assert.deepEqual(
      report.causes.map((c) => c.check),
      ['dns'],
    );
    assert.equal(report.checks.find((c) => c.id === 'tcp')?.status, 'skip');
  });

  it('invalid: a refused port is said as such on the first line, retried quietly, and ends as "connection refused"', async (t) => {
    const dir = await workdir(t);
    const file = await writeTokenFile(dir, 'abcdef.0123456789abcdef');
    const endpoint = `127.0.0.1:${await closedPort()}`;
    const args = ['join', endpoint, '--token-file', file, '--discovery-token-ca-cert-hash', cluster.caCertHash, '--discovery-timeout', '3s'];
    const r = await kubejoin([...args, ...fileStoreFlags(dir)]);
    assert.equal(r.code, 6, r.stderr);
    const lines = discoverLines(r.stdout);
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0]!, /connection refused at 127\.0\.0\.1:\d+: nothing listens there/);
    assert.match(r.stderr, new RegExp(`nothing accepted a connection at ${endpoint} \\(connection refused, after 3 s of discovery\\)`));
  });
});
