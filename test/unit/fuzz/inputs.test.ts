import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinCommand } from '../../../agent/cli/command-line.js';
import { parseJoinConfiguration } from '../../../agent/input/join-configuration.js';
import { parseProvision } from '../../../main/provision.js';
import { buildJoinRequest } from '../../../agent/input/join-request.js';
import { parseCsrObject, parseWatchEvent } from '../../../agent/csr/api.js';
import { parseSelfSubjectReview } from '../../../agent/session/index.js';
import { KubejoinError } from '../../../agent/errors.js';
import { anyText, checkAsyncParser, checkParser, fc, RUNS, tokenArb, withToken } from './fuzz.js';

// Property tests: what an operator pastes or provisions (command line, JoinConfiguration,
// provisioning file) and what an API server answers (CSR, watch event, SelfSubjectReview).

const flagWords = fc.constantFrom(
  'kubeadm',
  'kubejoin',
  'join',
  'sudo',
  '--token',
  '--discovery-token-ca-cert-hash',
  '--tls-bootstrap-token',
  '--node-name',
  '--timeout',
  '--store',
  '--discovery-timeout',
  '--cri-socket',
  '--control-plane',
  '-o',
  '10.0.0.1:6443',
  'sha256:' + 'a'.repeat(64),
  '"',
  "'",
  '\\',
  '--v=5',
);
const commandLine = fc.oneof(
  anyText,
  fc.array(fc.oneof(flagWords, anyText, tokenArb), { maxLength: 12 }).map((w) => w.join(' ')),
);

const yamlish = fc.oneof(
  anyText,
  fc
    .record({
      api: fc.constantFrom('kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4', 'v1', ''),
      endpoint: anyText,
      hashes: fc.oneof(
        fc.array(anyText, { maxLength: 3 }).map((a) => `[${a.map((x) => JSON.stringify(x)).join(', ')}]`),
        anyText,
      ),
      timeout: anyText,
      name: anyText,
    })
    .map(
      (r) =>
        `apiVersion: ${r.api}\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: ${JSON.stringify(r.endpoint)}\n    caCertHashes: ${r.hashes}\n  timeout: ${JSON.stringify(r.timeout)}\nnodeRegistration:\n  name: ${JSON.stringify(r.name)}\n---\n${r.name}`,
    ),
);

const provisionish = fc.oneof(
  anyText,
  fc
    .dictionary(
      fc.constantFrom('endpoint', 'token', 'tokenFile', 'caCertHashes', 'nodeName', 'store', 'retryDelaySeconds', 'other'),
      fc.oneof(anyText, fc.integer().map(String), fc.constant('[a, b]'), fc.constant('{x: 1}')),
    )
    .map((d) =>
      Object.entries(d)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    ),
);

const jsonish = (inner: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof(
    anyText,
    fc.json(),
    inner.map((v) => JSON.stringify(v)),
  );
const csrLike = fc.record(
  {
    metadata: fc.oneof(fc.record({ name: fc.string(), uid: fc.string(), resourceVersion: fc.oneof(fc.string(), fc.integer()) }), fc.anything()),
    spec: fc.oneof(fc.record({ request: fc.string(), signerName: fc.string(), usages: fc.array(fc.string()) }), fc.anything()),
    status: fc.oneof(
      fc.record({
        conditions: fc.oneof(
          fc.array(fc.record({ type: fc.oneof(fc.constantFrom('Approved', 'Denied', 'Failed'), fc.anything()), status: fc.string() })),
          fc.anything(),
        ),
        certificate: fc.oneof(fc.base64String(), fc.anything()),
      }),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);
const watchLike = fc.record(
  { type: fc.oneof(fc.constantFrom('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'), fc.anything()), object: fc.oneof(csrLike, fc.anything()) },
  { requiredKeys: [] },
);

describe('fuzz: operator input and API answers', () => {
  it('pasted command line', () =>
    checkParser('parseJoinCommand', withToken(commandLine), (s) => {
      const r = parseJoinCommand(s);
      if (!r.ok) throw new KubejoinError('invalid-input', r.error);
      for (const w of r.warnings) if (/[a-z0-9]{6}\.[a-z0-9]{16}/i.test(w)) throw new Error(`a warning quotes a token: ${w}`);
    }));

  it('JoinRequest builder: any value in any field is a result, never a throw; secrets never quoted', () =>
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('endpoint', 'token', 'tlsBootstrapToken', 'caCertHashes', 'unsafeSkipCaVerification', 'store', 'proxy', 'timeoutMs'),
          fc.anything(),
        ),
        tokenArb,
        (input, token) => {
          const r = buildJoinRequest({ ...input, token: [token], proxy: { url: `http://u:${token}@p:1` } });
          assert.equal(r.ok, false);
          assert.ok(!JSON.stringify(r.ok ? r : r.problems).includes(token.split('.')[1]!), 'no secret in a problem');
        },
      ),
      { numRuns: RUNS },
    ));

  it('JoinConfiguration YAML', () => checkParser('parseJoinConfiguration', withToken(yamlish), (s) => parseJoinConfiguration(s, 'join.yaml')));

  it('provisioning file', async () =>
    checkAsyncParser(
      'parseProvision',
      withToken(provisionish),
      (s) => parseProvision(s, 'provision.yaml', async () => 'abcdef.0123456789abcdef'),
      (r) => {
        const result = r as Awaited<ReturnType<typeof parseProvision>>;
        return result.ok ? [] : result.problems;
      },
    ));

  it('CSR JSON', () => checkParser('parseCsrObject', withToken(jsonish(csrLike)), (s) => parseCsrObject(s, 'the CSR')));
  it('watch event JSON', () => checkParser('parseWatchEvent', withToken(jsonish(watchLike)), (s) => parseWatchEvent(s)));
  it('SelfSubjectReview JSON', () =>
    checkParser(
      'parseSelfSubjectReview',
      withToken(
        jsonish(
          fc.record({
            status: fc.oneof(
              fc.record({ userInfo: fc.record({ username: fc.oneof(fc.string(), fc.anything()), groups: fc.oneof(fc.array(fc.string()), fc.anything()) }) }),
              fc.anything(),
            ),
          }),
        ),
      ),
      (s) => {
        const who = parseSelfSubjectReview(s);
        assert.equal(typeof who.username, 'string');
        assert.ok(who.groups.every((g) => typeof g === 'string'));
      },
    ));
});
