import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinCommand, shellWords } from '../../../agent/cli/command-line.js';
import { PIN, TOKEN } from '../../helpers/fixtures.js';

describe('pasted join command lines', () => {
  const cases: [string, string][] = [
    ['kubeadm line as printed', `kubeadm join 10.0.0.1:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${PIN}`],
    ['backslash continuations and extra spaces', `kubeadm join 10.0.0.1:6443   --token ${TOKEN} \\\n    --discovery-token-ca-cert-hash ${PIN}  `],
    ['quotes and = form', `sudo kubejoin join '10.0.0.1:6443' --token="${TOKEN}" --discovery-token-ca-cert-hash "${PIN}"`],
    ['CRLF continuation', `kubeadm join 10.0.0.1:6443 --token ${TOKEN} \\\r\n --discovery-token-ca-cert-hash ${PIN}`],
  ];
  for (const [name, line] of cases) {
    it(`valid: ${name}`, () => {
      const r = parseJoinCommand(line);
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.deepEqual(r.request, { endpoint: '10.0.0.1:6443', token: TOKEN, caCertHashes: [PIN] });
    });
  }
  it('valid: kubeadm-only flags are ignored with a warning', () => {
    const r = parseJoinCommand(
      `kubeadm join [fd00::1]:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${PIN} --cri-socket unix:///run/containerd.sock --v=5`,
    );
    assert.ok(r.ok);
    assert.equal(r.request.endpoint, '[fd00::1]:6443');
    assert.deepEqual(r.warnings, [
      "notice: ignoring kubeadm's --cri-socket: it does not apply to a node credential",
      "notice: ignoring kubeadm's --v: it does not apply to a node credential",
    ]);
  });
  it('valid: several pins, repeated and comma-separated', () => {
    const r = parseJoinCommand(
      `kubeadm join h:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${PIN},sha256:${'b'.repeat(64)} --discovery-token-ca-cert-hash sha256:${'c'.repeat(64)}`,
    );
    assert.ok(r.ok);
    assert.equal(r.request.caCertHashes?.length, 3);
  });
  const invalid: [string, string, RegExp][] = [
    ['not a join line', 'kubectl get nodes', /kubeadm join/],
    [
      'control-plane join',
      `kubeadm join h:6443 --token ${TOKEN} --control-plane --certificate-key x`,
      /--control-plane is for a control-plane join: kubejoin joins nodes .*not control planes/,
    ],
    ['unknown flag', `kubeadm join h:6443 --token ${TOKEN} --bogus`, /unknown flag --bogus/],
    ['unclosed quote', `kubeadm join h:6443 --token "${TOKEN}`, /unclosed double quote/],
    ['token file in a paste', `kubejoin join h:6443 --token-file /x`, /paste the values/],
    // The same duration rule as every command's (agent/protocol/duration.ts).
    ['a timeout a timer cannot hold', `kubeadm join h:6443 --token ${TOKEN} --timeout 600h`, /^--timeout "600h" is longer than a timer can hold/],
    ['a negative discovery timeout', `kubeadm join h:6443 --token ${TOKEN} --discovery-timeout=-1s`, /^--discovery-timeout "-1s" is negative/],
    [
      'an unknown store, as the CLI says it',
      `kubeadm join h:6443 --token ${TOKEN} --store cloud`,
      /^--store "cloud" is not supported: use auto, keychain or file$/,
    ],
  ];
  for (const [name, line, pattern] of invalid) {
    it(`invalid: ${name}`, () => {
      const r = parseJoinCommand(line);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, pattern);
    });
  }
  it('valid: durations in ms, as the CLI reads them', () => {
    const r = parseJoinCommand(`kubejoin join h:6443 --token ${TOKEN} --discovery-token-ca-cert-hash ${PIN} --timeout 1m --discovery-timeout 1500ms`);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.request.timeoutMs, 60_000);
    assert.equal(r.request.discoveryTimeoutMs, 1500);
  });
  it('shell words: escapes inside double quotes, literal single quotes', () => {
    assert.deepEqual(shellWords(`a "b \\"c\\"" 'd \\e' f\\ g`), ['a', 'b "c"', 'd \\e', 'f g']);
  });
});
