// `cluster approve` is bounded by --request-timeout (docs/enrollment.md §3): against a server of
// our own that accepts connections and never answers, `--once` ends with exit 6 naming the call
// within the timeout (plus start-up), and `--watch` keeps retrying, logging JSON error lines,
// until SIGTERM ends it with exit 0.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { testCluster } from '../../harness/index.js';
import { ensureBuilt, kubejoin, spawnKubejoin } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { tempDir } from '../../helpers/temp.js';

let hung: Server;
const sockets = new Set<Socket>();
let kc: string;

before(async () => {
  await ensureBuilt();
  const c = await testCluster();
  hung = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  const port = (hung.address() as { port: number }).port;
  kc = join(tempDir('kubejoin-hung-'), 'hung.conf');
  writeFileSync(kc, readFileSync(c.adminKubeconfig, 'utf8').replace(/server: https:\/\/[^\s]+/, `server: https://127.0.0.1:${port}`), { mode: 0o600 });
});
after(() => {
  for (const s of sockets) s.destroy();
  hung?.close();
});

test('invalid: --once against a server that never answers: exit 6 within the timeout, naming the call', async () => {
  const started = Date.now();
  const r = await kubejoin(['cluster', 'approve', '--once', '--request-timeout', '2s', '--kubeconfig', kc]);
  const tookS = (Date.now() - started) / 1000;
  assert.equal(r.code, 6, r.stderr);
  assert.match(r.stderr, /did not answer within 2 s \(--request-timeout\) to list (certificatesigningrequests|secrets)/);
  assert.equal(r.stdout, '');
  assert.ok(tookS < 2 + 8, `took ${tookS} s`);
});

test('--watch against a server that never answers keeps retrying, one JSON error line each time; SIGTERM ends it with exit 0', async () => {
  const child = spawnKubejoin(['cluster', 'approve', '--watch', '--request-timeout', '1s', '--kubeconfig', kc]);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const lines = await eventually('two retried failures', async () => {
    // The error lines (the first line says the approver is up).
    const l = err.split('\n').filter((x) => x.includes('"error"'));
    return l.length >= 2 ? l : undefined;
  });
  for (const l of lines) {
    const o = JSON.parse(l) as { error: string; retrying: boolean };
    assert.equal(o.retrying, true);
    assert.match(o.error, /did not answer within 1 s|silent for/);
  }
  child.kill('SIGTERM');
  // No retry or half-open watch may keep it alive: it ends within one --request-timeout and
  // start-up slack, not at node-fetch's 30 s watch timeout.
  const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exit;
  clearTimeout(guard);
  assert.equal(code, 0, 'SIGTERM did not end the approver within 10 s');
});
