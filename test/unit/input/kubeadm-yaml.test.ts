// A JoinConfiguration's booleans and unknown fields, read as kubeadm (sigs.k8s.io/yaml, i.e.
// go-yaml v2) reads them: `unsafeSkipCAVerification: no` must not skip the pin.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinConfiguration } from '../../../agent/input/join-configuration.js';
import { UsageError } from '../../../agent/errors.js';
import { joinRequestProblems } from '../../../agent/contract/index.js';
import { TOKEN, TOKEN_SECRET } from '../../helpers/fixtures.js';

const config = (skip: string, extra = ''): string => `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 10.0.0.1:6443
    token: ${TOKEN}
    unsafeSkipCAVerification: ${skip}
${extra}`;

describe('unsafeSkipCAVerification, as kubeadm reads it', () => {
  // go-yaml v2's resolve table: these plain scalars are booleans.
  for (const text of ['no', 'No', 'NO', 'n', 'N', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE']) {
    it(`valid: ${text} is false, so a pin is still required`, () => {
      const { request } = parseJoinConfiguration(config(text), 'join.yaml');
      assert.equal(request.unsafeSkipCaVerification, false);
      assert.match(
        joinRequestProblems(request)
          .map((p) => p.message)
          .join('\n'),
        /no CA cert hash given/,
      );
    });
  }
  for (const text of ['yes', 'Yes', 'YES', 'y', 'Y', 'on', 'On', 'ON', 'true', 'True', 'TRUE']) {
    it(`valid: ${text} is true`, () => assert.equal(parseJoinConfiguration(config(text), 'join.yaml').request.unsafeSkipCaVerification, true));
  }
  // Quoted, or in a case go-yaml does not know: a string, which kubeadm refuses for a bool.
  for (const text of ['"false"', "'no'", '"true"', 'nO', 'tRue', '0', '1', 'disabled']) {
    it(`invalid: ${text} is exit 2, naming the field and the value`, () =>
      assert.throws(
        () => parseJoinConfiguration(config(text), 'join.yaml'),
        (e: unknown) =>
          e instanceof UsageError &&
          e.exitCode === 2 &&
          e.message.includes('join.yaml: unsafeSkipCAVerification (in discovery.bootstrapToken) ') &&
          e.message.includes(String(text.replace(/^["']|["']$/g, ''))) &&
          /is not a boolean/.test(e.message),
      ));
  }
});

describe('fields kubeadm does not know, and fields kubejoin does not use', () => {
  it('valid: an unknown field is named in a warning, not silently ignored', () => {
    const { warnings } = parseJoinConfiguration(
      config('false', 'nodeRegistration:\n  nmae: edge-1\n  criSocket: unix:///run/containerd.sock\nextra: 1\n'),
      'join.yaml',
    );
    assert.equal(warnings.length, 2, JSON.stringify(warnings));
    assert.match(warnings[0]!, /join\.yaml: unknown field\(s\) nodeRegistration\.nmae, extra \(not in kubeadm\.k8s\.io\/v1beta4 JoinConfiguration; ignored\)/);
    assert.match(warnings[1]!, /does not use these kubeadm fields: nodeRegistration\.criSocket/);
  });
  it('valid: a field of the other version is unknown (v1beta4 has timeouts.discovery, not discovery.timeout)', () => {
    const { request, warnings } = parseJoinConfiguration(config('false', '  timeout: 2m\n'), 'join.yaml');
    assert.equal(request.discoveryTimeoutMs, undefined);
    assert.match(warnings.join('\n'), /unknown field\(s\) discovery\.timeout/);
  });
  it('valid: a case that differs is unknown too (kubeadm matches case-sensitively)', () => {
    const { warnings } = parseJoinConfiguration(config('false').replace('unsafeSkipCAVerification', 'unsafeSkipCaVerification'), 'join.yaml');
    assert.match(warnings.join('\n'), /unknown field\(s\) unsafeSkipCaVerification \(in discovery\.bootstrapToken\)/);
  });
  it('invalid: a token of the wrong type is named, never quoted', () => {
    const text = config('false').replace(`token: ${TOKEN}`, `token: [${TOKEN}]`);
    assert.throws(
      () => parseJoinConfiguration(text, 'join.yaml'),
      (e: unknown) => e instanceof UsageError && /discovery\.bootstrapToken\.token is not a string/.test(e.message) && !e.message.includes(TOKEN_SECRET),
    );
  });
});
