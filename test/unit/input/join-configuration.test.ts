import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinConfiguration } from '../../../agent/input/join-configuration.js';
import { UsageError } from '../../../agent/errors.js';

describe('kubeadm JoinConfiguration', () => {
  it('valid: v1beta3 with discovery.timeout', () => {
    const { request: req, warnings } = parseJoinConfiguration(
      `apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.0.0.1:6443
    token: abcdef.0123456789abcdef
    caCertHashes: ["sha256:${'a'.repeat(64)}"]
  tlsBootstrapToken: ghijkl.0123456789abcdef
  timeout: 2m0s
nodeRegistration:
  name: edge-7
  criSocket: unix:///ignored
`,
      'join.yaml',
    );
    assert.deepEqual(req, {
      endpoint: '10.0.0.1:6443',
      token: 'abcdef.0123456789abcdef',
      caCertHashes: [`sha256:${'a'.repeat(64)}`],
      tlsBootstrapToken: 'ghijkl.0123456789abcdef',
      nodeName: 'edge-7',
      discoveryTimeoutMs: 120_000,
    });
    assert.deepEqual(warnings, ['warning: join.yaml: kubejoin does not use these kubeadm fields: nodeRegistration.criSocket']);
  });
  it('valid: v1beta4 with timeouts.discovery and file discovery, after an InitConfiguration document', () => {
    const { request: req, warnings } = parseJoinConfiguration(
      `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  file:
    kubeConfigPath: /etc/kubejoin/discovery.conf
  tlsBootstrapToken: abcdef.0123456789abcdef
timeouts:
  discovery: 30s
`,
      'join.yaml',
    );
    assert.deepEqual(req, { discoveryFile: '/etc/kubejoin/discovery.conf', tlsBootstrapToken: 'abcdef.0123456789abcdef', discoveryTimeoutMs: 30_000 });
    assert.deepEqual(warnings, []);
  });
  const invalid: [string, string, RegExp][] = [
    ['no JoinConfiguration', 'apiVersion: v1\nkind: ConfigMap\n', /holds no JoinConfiguration/],
    ['old apiVersion', 'apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\n', /v1beta2" is not supported/],
    ['bad YAML', 'kind: [JoinConfiguration\n', /not valid YAML/],
    [
      'bad timeout',
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ntimeouts:\n  discovery: soon\n',
      /timeouts.discovery "soon" is not a duration/,
    ],
    [
      'timeout a timer cannot hold',
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ntimeouts:\n  discovery: 600h\n',
      /timeouts.discovery "600h" is longer than a timer/,
    ],
    [
      'a number for a timeout',
      'apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\ndiscovery:\n  timeout: 300\n',
      /discovery.timeout "300" is not a duration/,
    ],
    [
      'a number for a node name',
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\nnodeRegistration:\n  name: 1234\n',
      /nodeRegistration.name 1234 is not a string/,
    ],
    [
      'a list of pins that is not one',
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    caCertHashes: {a: 1}\n',
      /caCertHashes is not a list of sha256/,
    ],
    [
      'a control-plane join',
      'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ncontrolPlane:\n  certificateKey: abc\n',
      /control-plane JoinConfiguration/,
    ],
  ];
  for (const [name, text, pattern] of invalid) {
    it(`invalid: ${name}`, () =>
      assert.throws(
        () => parseJoinConfiguration(text, 'join.yaml'),
        (e: unknown) => e instanceof UsageError && pattern.test(e.message),
      ));
  }
});
