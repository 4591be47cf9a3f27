// A fleet of bound joins at once against the real control plane: one `token create
// --nodes-from` for N nodes (200, or KUBEJOIN_TEST_BOUND_FLEET), N joins through the engine's
// public API in this process (Promise.all over join()), one `cluster approve --watch` as
// kubejoin:approver. Every join succeeds, with exactly one approval each. Prints approvals per
// second and the approver's peak RSS (the figures in docs/enrollment.md §6); asserts no timing.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { before, test } from 'node:test';
import { join, type JoinRequest } from '../../../agent/index.js';
import type { ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { uniqueName } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { tempDir } from '../../helpers/temp.js';
import { boundCluster, decisionsOf, startApprover, type DecisionLine } from './bound-helpers.js';

const SIZE = Number(process.env.KUBEJOIN_TEST_BOUND_FLEET) > 0 ? Number(process.env.KUBEJOIN_TEST_BOUND_FLEET) : 200;

let c: ClusterHandle;
let approverKc: string;

before(async () => ({ c, approverKc } = await boundCluster()));

async function joinOne(dir: string, token: string, node: string): Promise<string | undefined> {
  const request: JoinRequest = {
    endpoint: c.endpoint,
    token,
    caCertHashes: [c.caCertHash],
    nodeName: node,
    store: 'file',
    certDir: joinPath(dir, node),
    kubeconfigOut: joinPath(dir, node, 'kubelet.conf'),
    timeoutMs: 300_000,
  };
  const events = join(request, { deviceFacts: false });
  let next = await events.next();
  while (!next.done) next = await events.next();
  return next.value.ok ? undefined : `${node}: ${next.value.error.message}`;
}

const vmHWMKiB = (pid: number): number => Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

test(`${SIZE} bound joins at once: all succeed, each approved exactly once`, { timeout: 600_000 }, async () => {
  const dir = tempDir('kubejoin-bound-fleet-');
  const prefix = uniqueName('fleet');
  const nodes = Array.from({ length: SIZE }, (_, i) => `${prefix}-${i}`);
  writeFileSync(joinPath(dir, 'fleet.txt'), `${nodes.join('\n')}\n`);
  const created = await kubejoinInProcess(['token', 'create', '--nodes-from', joinPath(dir, 'fleet.txt'), '-o', 'json', '--kubeconfig', c.adminKubeconfig]);
  assert.equal(created.code, 0, created.stderr);
  const items = (JSON.parse(created.stdout) as { items: { nodeName: string; token: string }[] }).items;
  assert.equal(items.length, SIZE);
  const ids = new Set(items.map((i) => i.token.slice(0, 6)));
  for (const id of ids) await c.waitForSignature(id, 60_000);

  const approver = startApprover(approverKc);
  const lines: { at: number; d: DecisionLine }[] = [];
  let buf = '';
  approver.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const end = buf.lastIndexOf('\n');
    if (end < 0) return;
    for (const l of decisionsOf(buf.slice(0, end))) lines.push({ at: Date.now(), d: l });
    buf = buf.slice(end + 1);
  });
  try {
    const failed = (await Promise.all(items.map((i) => joinOne(dir, i.token, i.nodeName)))).filter((e) => e !== undefined);
    assert.deepEqual(failed, []);
    const mine = await eventually('every approval line', async () => {
      const m = lines.filter((l) => ids.has(l.d.token));
      return m.length >= SIZE ? m : undefined;
    });
    assert.ok(
      mine.every((l) => l.d.decision === 'approve'),
      'a bound join was denied',
    );
    assert.equal(new Set(mine.map((l) => l.d.csr)).size, SIZE, 'one approval per CSR');
    const spanS = (mine.at(-1)!.at - mine[0]!.at) / 1000;
    const rssMiB = vmHWMKiB(approver.pid!) / 1024;
    console.log(
      `# bound fleet of ${SIZE}: ${(SIZE / Math.max(spanS, 0.001)).toFixed(0)} approvals/s over ${spanS.toFixed(1)} s; approver peak RSS ${rssMiB.toFixed(0)} MiB`,
    );
  } finally {
    approver.kill('SIGTERM');
    // The shared cluster keeps no 200 signatures in cluster-info for the next runs.
    await kubejoinInProcess(['token', 'delete', ...ids, '--kubeconfig', c.adminKubeconfig]);
  }
});
