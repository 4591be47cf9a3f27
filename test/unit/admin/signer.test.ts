import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextExpiryMs, planSigning, signOnce, type SignApi } from '../../../agent/admin/signer.js';
import type { SecretLike } from '../../../agent/admin/token-secret.js';
import { signDetached } from '../../../agent/protocol/jws.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const KUBECONFIG = 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: ""\n';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function tokenSecret(id: string, secret: string, extra: Record<string, string> = {}): SecretLike {
  const data: Record<string, string> = { 'token-id': id, 'token-secret': secret, 'usage-bootstrap-signing': 'true', ...extra };
  return {
    metadata: { name: `bootstrap-token-${id}` },
    type: 'bootstrap.kubernetes.io/token',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

const A = tokenSecret('aaaaaa', 'aaaaaaaaaaaaaaaa');
const B = tokenSecret('bbbbbb', 'bbbbbbbbbbbbbbbb', { expiration: '2025-06-01T13:00:00Z' });
const sigA = signDetached(KUBECONFIG, 'aaaaaa', 'aaaaaaaaaaaaaaaa');
const sigB = signDetached(KUBECONFIG, 'bbbbbb', 'bbbbbbbbbbbbbbbb');

test('plan: adds missing signatures, keeps other keys', () => {
  const plan = planSigning({ kubeconfig: KUBECONFIG, other: 'x' }, [A, B], NOW);
  assert.equal(plan.changed, true);
  assert.deepEqual(plan.added, ['aaaaaa', 'bbbbbb']);
  assert.deepEqual(plan.data, { kubeconfig: KUBECONFIG, other: 'x', 'jws-kubeconfig-aaaaaa': sigA, 'jws-kubeconfig-bbbbbb': sigB });
});

test('plan: nothing to write when every signature is right', () => {
  const plan = planSigning({ kubeconfig: KUBECONFIG, 'jws-kubeconfig-aaaaaa': sigA }, [A], NOW);
  assert.equal(plan.changed, false);
  assert.deepEqual(plan.unchanged, ['aaaaaa']);
});

test('plan: stale signatures are removed (token gone, expired, not for signing) and wrong ones redone', () => {
  const expired = tokenSecret('cccccc', 'cccccccccccccccc', { expiration: '2025-06-01T11:00:00Z' });
  const authOnly = tokenSecret('dddddd', 'dddddddddddddddd', { 'usage-bootstrap-signing': 'false' });
  const plan = planSigning(
    { kubeconfig: KUBECONFIG, 'jws-kubeconfig-aaaaaa': 'garbage', 'jws-kubeconfig-cccccc': 'x', 'jws-kubeconfig-dddddd': 'y', 'jws-kubeconfig-gone00': 'z' },
    [A, expired, authOnly],
    NOW,
  );
  assert.deepEqual(plan.updated, ['aaaaaa']);
  assert.deepEqual(plan.removed, ['cccccc', 'dddddd', 'gone00']);
  assert.deepEqual(plan.data, { kubeconfig: KUBECONFIG, 'jws-kubeconfig-aaaaaa': sigA });
});

test('plan: signs the kubeconfig string as stored, never re-serialized', () => {
  const odd = `${KUBECONFIG}# trailing comment\n\n`;
  const plan = planSigning({ kubeconfig: odd }, [A], NOW);
  assert.equal(plan.data['jws-kubeconfig-aaaaaa'], signDetached(odd, 'aaaaaa', 'aaaaaaaaaaaaaaaa'));
});

test('plan: no kubeconfig key, nothing to do (as the controller)', () => {
  const plan = planSigning({ 'jws-kubeconfig-aaaaaa': 'x' }, [A], NOW);
  assert.equal(plan.hasKubeconfig, false);
  assert.equal(plan.changed, false);
});

test('next expiry: the earliest signing token expiry', () => {
  assert.equal(nextExpiryMs([A, B], NOW), Date.parse('2025-06-01T13:00:00Z'));
  assert.equal(nextExpiryMs([A], NOW), undefined);
});

test('signOnce: writes only when changed; retries on a conflict', async () => {
  let writes = 0;
  let conflicts = 1;
  const cm = { metadata: { name: 'cluster-info', namespace: 'kube-public', resourceVersion: '1' }, data: { kubeconfig: KUBECONFIG } as Record<string, string> };
  const api: SignApi = {
    getConfigMap: async () => structuredClone(cm),
    listTokenSecrets: async () => [A],
    replaceConfigMap: async (body) => {
      if (conflicts-- > 0) return undefined;
      writes++;
      cm.data = body.data!;
      return body;
    },
  };
  const first = await signOnce(api, () => NOW);
  assert.equal(first.written, true);
  assert.equal(writes, 1);
  const second = await signOnce(api, () => NOW);
  assert.equal(second.written, false);
  assert.equal(writes, 1);
});
