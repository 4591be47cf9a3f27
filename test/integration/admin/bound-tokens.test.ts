// Bound tokens against the real control plane, with kube-controller-manager's own csrapproving
// running (as in production): a bound token joins as its node only, once `cluster approve`
// (as the least-privileged user kubejoin:approver) has approved it; any other node name is
// denied with the reason and the join ends with exit 5, leaving nothing; unbound tokens still
// join through the stock approver.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { ClusterHandle } from '../../harness/index.js';
import { uniqueName, assertNoSecret } from '../../helpers/cli.js';
import { filesUnder } from '../../helpers/temp.js';
import { approveOnce, boundCluster, boundToken, csrsOf, pendingCsrs, startJoin } from './bound-helpers.js';

let c: ClusterHandle;
let approverKc: string;

before(async () => ({ c, approverKc } = await boundCluster()));

test('a bound token joins as its node: the stock approver leaves its CSR pending, cluster approve --once approves it', async () => {
  const node = uniqueName('edge');
  const { token, id } = await boundToken(c, node);
  const join1 = startJoin(c, token, node);
  const [csr] = await pendingCsrs(c, id);

  const { run, decisions } = await approveOnce(approverKc);
  const mine = decisions.filter((d) => d.csr === csr!.metadata.name);
  assert.deepEqual(
    mine.map((d) => [d.decision, d.token, d.node, d.message]),
    [['approve', id, node, `kubejoin: token ${id} is bound to ${node}`]],
  );
  assertNoSecret(run, token);

  const r = await join1.done;
  assert.equal(r.code, 0, `join failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`system:node:${node}`));
  assert.ok(existsSync(join(join1.dir, 'kubelet.conf')));
  // Exactly one approval, and it is the approver's (csrapproving would have written AutoApproved).
  const [after] = await csrsOf(c, id);
  assert.deepEqual(
    (after!.status?.conditions ?? []).map((x) => [x.type, x.reason]),
    [['Approved', 'KubejoinBoundToken']],
  );
});

test('the same token asking for another node name is denied with the reason; the join ends with exit 5 and writes nothing', async () => {
  const node = uniqueName('edge');
  const other = uniqueName('edge');
  const { token, id } = await boundToken(c, node);
  const join1 = startJoin(c, token, other);
  const [csr] = await pendingCsrs(c, id);

  const { decisions } = await approveOnce(approverKc);
  const reason = `kubejoin: token ${id} is bound to ${node}, not ${other}`;
  assert.deepEqual(
    decisions.filter((d) => d.csr === csr!.metadata.name).map((d) => [d.decision, d.message]),
    [['deny', reason]],
  );

  const r = await join1.done;
  assert.equal(r.code, 5, `expected exit 5:\n${r.stdout}\n${r.stderr}`);
  assert.ok((r.stdout + r.stderr).includes(reason), `the approver's reason is not shown:\n${r.stdout}\n${r.stderr}`);
  assertNoSecret(r, token);
  // The key is discarded and no credential or kubeconfig was written: only the token file is left.
  assert.deepEqual(await filesUnder(join1.dir), ['token']);
});

test('an unbound token still joins through the stock approver, with no kubejoin approver running', async () => {
  const node = uniqueName('plain');
  const token = await c.signedToken();
  const r = await startJoin(c, token, node).done;
  assert.equal(r.code, 0, `join failed:\n${r.stdout}\n${r.stderr}`);
  const [csr] = await csrsOf(c, token.slice(0, 6));
  assert.deepEqual(
    (csr!.status?.conditions ?? []).map((x) => [x.type, x.reason]),
    [['Approved', 'AutoApproved']],
  );
});
