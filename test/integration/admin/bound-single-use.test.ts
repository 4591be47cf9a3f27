// Single-use bound tokens against the real control plane: deleted by the approver once their
// certificate is issued (a second join then ends with exit 4, unknown token), and never by a
// failed join: one that fails before its CSR, or whose CSR is denied, leaves the token usable.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { ClusterHandle } from '../../harness/index.js';
import { uniqueName } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { approveOnce, boundCluster, boundToken, pendingCsrs, secretExists, startJoin } from './bound-helpers.js';

let c: ClusterHandle;
let approverKc: string;

before(async () => ({ c, approverKc } = await boundCluster()));

async function signatureGone(id: string): Promise<true | undefined> {
  const res = await c.request({ path: '/api/v1/namespaces/kube-public/configmaps/cluster-info' });
  return res.json<{ data: Record<string, string> }>().data[`jws-kubeconfig-${id}`] === undefined ? true : undefined;
}

test('a single-use token is deleted once its certificate is issued; a second join with it ends with exit 4', async () => {
  const node = uniqueName('kiosk');
  const { token, id } = await boundToken(c, node, ['--single-use']);
  const list = await c.kubectl(['get', 'secret', '-n', 'kube-system', `bootstrap-token-${id}`, '-o', 'jsonpath={.metadata.annotations}']);
  assert.match(list.stdout, /"kubejoin.io\/single-use":"true"/);
  const first = startJoin(c, token, node);
  const [csr] = await pendingCsrs(c, id);

  const { decisions } = await approveOnce(approverKc);
  const mine = decisions.filter((d) => d.token === id);
  assert.deepEqual(
    mine.map((d) => [d.decision, d.csr]),
    [
      ['approve', csr!.metadata.name],
      ['spent', csr!.metadata.name],
    ],
  );
  const r = await first.done;
  assert.equal(r.code, 0, `join failed:\n${r.stdout}\n${r.stderr}`);
  assert.equal(await secretExists(c, id), false);

  await eventually(`the BootstrapSigner to drop jws-kubeconfig-${id}`, () => signatureGone(id));
  const again = await startJoin(c, token, node, ['--discovery-timeout', '6s']).done;
  assert.equal(again.code, 4, `expected exit 4:\n${again.stdout}\n${again.stderr}`);
});

test('a join that fails before its CSR, and one that is denied, leave the single-use token usable', async () => {
  const node = uniqueName('kiosk');
  const { token, id } = await boundToken(c, node, ['--single-use']);

  // Fails at discovery (a pin of no CA: exit 3) before any CSR; an approver pass changes nothing.
  const wrongPin = `sha256:${'0'.repeat(64)}`;
  const early = await startJoin({ ...c, caCertHash: wrongPin }, token, node).done;
  assert.equal(early.code, 3, `expected exit 3:\n${early.stdout}\n${early.stderr}`);
  assert.deepEqual(
    (await approveOnce(approverKc)).decisions.filter((d) => d.token === id),
    [],
  );
  assert.equal(await secretExists(c, id), true);

  // Asks for another node: denied (exit 5); the token is not spent by a denial.
  const other = uniqueName('kiosk');
  const denied = startJoin(c, token, other);
  await pendingCsrs(c, id);
  const d1 = (await approveOnce(approverKc)).decisions.filter((d) => d.token === id);
  assert.deepEqual(
    d1.map((d) => d.decision),
    ['deny'],
  );
  assert.equal((await denied.done).code, 5);
  assert.equal(await secretExists(c, id), true);

  // The right node still joins with it, and only then is it spent.
  const ok = startJoin(c, token, node);
  await pendingCsrs(c, id);
  const d2 = (await approveOnce(approverKc)).decisions.filter((d) => d.token === id);
  assert.deepEqual(
    d2.map((d) => d.decision),
    ['approve', 'spent'],
  );
  const r = await ok.done;
  assert.equal(r.code, 0, `join failed:\n${r.stdout}\n${r.stderr}`);
  assert.equal(await secretExists(c, id), false);
});
