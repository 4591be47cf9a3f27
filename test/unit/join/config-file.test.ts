import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinConfiguration } from '../../../agent/join/config-file.js';
import { UsageError } from '../../../agent/errors.js';
import { parseDuration } from '../../../agent/protocol/duration.js';

describe('kubeadm JoinConfiguration', () => {
  it('valid: v1beta3 with discovery.timeout', () => {
    const req = parseJoinConfiguration(
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
  });
  it('valid: v1beta4 with timeouts.discovery and file discovery, after an InitConfiguration document', () => {
    const req = parseJoinConfiguration(
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
  });
  const invalid: [string, string, RegExp][] = [
    ['no JoinConfiguration', 'apiVersion: v1\nkind: ConfigMap\n', /holds no JoinConfiguration/],
    ['old apiVersion', 'apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\n', /v1beta2" is not supported/],
    ['bad YAML', 'kind: [JoinConfiguration\n', /not valid YAML/],
    ['bad timeout', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ntimeouts:\n  discovery: soon\n', /timeouts.discovery "soon"/],
  ];
  for (const [name, text, pattern] of invalid) {
    it(`invalid: ${name}`, () =>
      assert.throws(
        () => parseJoinConfiguration(text, 'join.yaml'),
        (e: unknown) => e instanceof UsageError && pattern.test(e.message),
      ));
  }
});

describe('Go durations', () => {
  for (const [text, ms] of [
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['300ms', 300],
    ['2m0s', 120_000],
    ['0', 0],
    ['1.5s', 1500],
  ] as const) {
    it(`valid: ${text}`, () => assert.equal(parseDuration(text), ms));
  }
  for (const text of ['', '5', 'm5', '5 m', '-5m', '5d']) it(`invalid: ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), undefined));
});
