import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiFailureOf, describeApiError, identityInMessage } from '../../../agent/admin/rbac-errors.js';

const SERVER = 'https://127.0.0.1:6443';
const forbidden = (message: string): string => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'Forbidden', code: 403 });

test('403: names verb, resource, namespace and the identity from the refusal; exit 2', () => {
  const err = describeApiError(
    {
      status: 403,
      body: forbidden('secrets is forbidden: User "system:bootstrap:abcdef" cannot list resource "secrets" in API group "" in the namespace "kube-system"'),
      message: '',
    },
    { verb: 'list', resource: 'secrets', namespace: 'kube-system' },
    SERVER,
  );
  assert.equal(err.message, 'denied: list secrets in namespace kube-system as system:bootstrap:abcdef');
  assert.equal(err.exitCode, 2);
});

test('403: cluster-scoped resources say so; identity falls back to the one looked up', () => {
  const err = describeApiError(
    { status: 403, body: forbidden('forbidden'), message: '' },
    { verb: 'create', resource: 'clusterrolebindings.rbac.authorization.k8s.io', name: 'kubeadm:kubelet-bootstrap' },
    SERVER,
    'alice',
  );
  assert.equal(err.message, 'denied: create clusterrolebindings.rbac.authorization.k8s.io (cluster-wide) as alice');
});

test('401, TLS failure, unreachable: one sentence each', () => {
  assert.match(
    describeApiError({ status: 401, message: 'Unauthorized' }, { verb: 'get', resource: 'secrets', namespace: 'x' }, SERVER).message,
    /did not accept the kubeconfig's credentials/,
  );
  const tls = describeApiError(
    { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
    { verb: 'get', resource: 'secrets', namespace: 'x' },
    SERVER,
  );
  assert.equal(tls.category, 'untrusted-cluster');
  const unreachable = describeApiError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, { verb: 'get', resource: 'secrets', namespace: 'x' }, SERVER);
  assert.match(unreachable.message, /cannot reach the API server at https:\/\/127\.0\.0\.1:6443/);
  assert.equal(unreachable.category, 'timeout');
});

test('apiFailureOf: client-node ApiException and node-fetch FetchError shapes', () => {
  assert.deepEqual(apiFailureOf({ code: 404, body: '{"reason":"NotFound"}', message: 'HTTP-Code: 404' }), {
    status: 404,
    body: '{"reason":"NotFound"}',
    message: 'HTTP-Code: 404',
  });
  assert.deepEqual(apiFailureOf(Object.assign(new Error('request failed'), { code: 'ECONNREFUSED' })), { code: 'ECONNREFUSED', message: 'request failed' });
  assert.equal(identityInMessage('configmaps "cluster-info" is forbidden: User "system:anonymous" cannot get resource'), 'system:anonymous');
});
