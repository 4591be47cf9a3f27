// `cluster approve --watch` against the real control plane: killed (SIGKILL) and restarted in
// the middle of a batch, every pending bound CSR is approved exactly once; it keeps working
// through a kube-apiserver restart (its own cluster); SIGTERM ends it with exit 0.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { startCluster, type ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { uniqueName } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { approversOfFile, boundCluster, csrsOf, pendingCsrs, prepareApprover, startJoin } from './bound-helpers.js';

let c: ClusterHandle;
let approverKc: string;

before(async () => ({ c, approverKc } = await boundCluster()));
const approver = approversOfFile();

/** One `token create` for every node (a batch); returns node → token. */
async function batch(cluster: ClusterHandle, nodes: string[]): Promise<Map<string, string>> {
  const r = await kubejoinInProcess(['token', 'create', ...nodes.flatMap((n) => ['--node-name', n]), '-o', 'json', '--kubeconfig', cluster.adminKubeconfig]);
  assert.equal(r.code, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as { items: { nodeName: string; token: string }[] }).items;
  assert.deepEqual(
    items.map((i) => i.nodeName),
    nodes,
  );
  await Promise.all(items.map((i) => cluster.waitForSignature(i.token.slice(0, 6))));
  return new Map(items.map((i) => [i.nodeName, i.token]));
}

test('killed and restarted mid-batch, the approver approves every pending bound CSR exactly once', async () => {
  const nodes = Array.from({ length: 8 }, () => uniqueName('fleet'));
  const tokens = await batch(c, nodes);
  const joins = nodes.map((n) => startJoin(c, tokens.get(n)!, n));
  const ids = nodes.map((n) => tokens.get(n)!.slice(0, 6));
  await Promise.all(ids.map((id) => pendingCsrs(c, id)));

  const first = approver(approverKc);
  await eventually('a first decision', async () => (first.lines.length > 0 ? true : undefined));
  first.child.kill('SIGKILL');
  await first.exit;
  const second = approver(approverKc);

  const results = await Promise.all(joins.map((j) => j.done));
  results.forEach((r, i) => assert.equal(r.code, 0, `join of ${nodes[i]} failed:\n${r.stdout}\n${r.stderr}`));
  for (const id of ids) {
    const csrs = await csrsOf(c, id);
    assert.equal(csrs.length, 1);
    assert.deepEqual(
      (csrs[0]!.status?.conditions ?? []).map((x) => [x.type, x.reason]),
      [['Approved', 'KubejoinBoundToken']],
    );
  }
  // Between them, never two approval lines for one CSR (a SIGKILL may lose the lines of the
  // writes in flight; the conditions above are the record).
  const approved = [...first.lines, ...second.lines].filter((l) => ids.includes(l.token) && l.decision === 'approve').map((l) => l.token);
  assert.equal(new Set(approved).size, approved.length, `a CSR was approved twice: ${approved.join(' ')}`);

  // Its start-up line: from then on SIGTERM is its clean stop (before it, Node's default would end it).
  await eventually('the second approver up', async () => (second.stderr().includes('approving the requests of bound tokens') ? true : undefined));
  second.child.kill('SIGTERM');
  assert.equal(await second.exit, 0);
});

test('the approver keeps working through a kube-apiserver restart', async () => {
  const own = await startCluster();
  try {
    const kc = await prepareApprover(own);
    const a = approver(kc);
    const before1 = uniqueName('edge');
    const t1 = (await batch(own, [before1])).get(before1)!;
    assert.equal((await startJoin(own, t1, before1).done).code, 0);

    await own.apiserver!.stop();
    await own.apiserver!.start();
    const node = uniqueName('edge');
    const t2 = (await batch(own, [node])).get(node)!;
    const r = await startJoin(own, t2, node).done;
    assert.equal(r.code, 0, `join after the restart failed:\n${r.stdout}\n${r.stderr}\napprover:\n${a.stderr()}`);
    assert.ok(a.lines.some((l) => l.node === node && l.decision === 'approve'));
    assert.match(a.stderr(), /"retrying":true/);
    a.child.kill('SIGTERM');
    assert.equal(await a.exit, 0);
  } finally {
    await own.stop();
  }
});
