import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointOf, joinCommand, pinsOf } from '../../../agent/admin/join-command.js';
import { UsageError } from '../../../agent/errors.js';
import { vectors } from '../../helpers/vectors.js';

test('endpoint: host:port of the server URL; IPv6 keeps its brackets; no port = 443', () => {
  assert.equal(endpointOf('https://127.0.0.1:6443'), '127.0.0.1:6443');
  assert.equal(endpointOf('https://[fd00::1]:6443'), '[fd00::1]:6443');
  assert.equal(endpointOf('https://api.example.com'), 'api.example.com:443');
  assert.equal(endpointOf('https://api.example.com:8443/'), 'api.example.com:8443');
  assert.throws(() => endpointOf('http://127.0.0.1:8080'), UsageError);
  assert.throws(() => endpointOf('not a url'), UsageError);
});

test('pins: one per CA certificate in the bundle (upstream vectors)', () => {
  const [a, b] = vectors.caPins;
  assert.ok(a && b);
  assert.deepEqual(pinsOf(Buffer.from(a.certificatePem), 'x'), [a.pin]);
  assert.deepEqual(pinsOf(Buffer.from(`${a.certificatePem}\n${b.certificatePem}`), 'x'), [a.pin, b.pin]);
  assert.throws(() => pinsOf(undefined, 'the kubeconfig'), UsageError);
  assert.throws(() => pinsOf(Buffer.from('not pem'), 'the kubeconfig'), UsageError);
});

test("join lines: kubejoin (the token in a file, kubeadm's line beside it) and kubeadm", () => {
  const pins = ['sha256:aa', 'sha256:bb'];
  assert.equal(
    joinCommand('kubejoin', '127.0.0.1:6443', 'abcdef.0123456789abcdef', pins),
    [
      '(umask 077 && echo abcdef.0123456789abcdef > join-token)',
      'kubejoin join 127.0.0.1:6443 --token-file join-token --discovery-token-ca-cert-hash sha256:aa --discovery-token-ca-cert-hash sha256:bb',
      '# or, as kubeadm prints it (kubejoin join takes it too): kubeadm join 127.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:aa --discovery-token-ca-cert-hash sha256:bb',
    ].join('\n'),
  );
  assert.match(joinCommand('kubeadm', '127.0.0.1:6443', 'abcdef.0123456789abcdef', pins), /^kubeadm join 127\.0\.0\.1:6443 --token /);
});
