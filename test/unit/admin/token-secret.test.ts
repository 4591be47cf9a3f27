import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expiryOf,
  parseTtl,
  shouldPrune,
  signingTokenOf,
  tokenFromSecret,
  tokenIdOf,
  tokenSpecFromFlags,
  tokenToSecret,
  type SecretLike,
} from '../../../agent/admin/token-secret.js';
import { planPrune, pruneTokens, readTokens } from '../../../agent/admin/tokens.js';
import { maskSecrets } from '../../../agent/contract/index.js';
import { KubejoinError, UsageError } from '../../../agent/errors.js';
import { TOKEN_ID, TOKEN_SECRET } from '../../helpers/fixtures.js';

const TOKEN_PARTS = { id: TOKEN_ID, secret: TOKEN_SECRET };
const NOW = Date.parse('2025-06-01T12:00:00Z');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

function secret(data: Record<string, string>, name = 'bootstrap-token-abcdef', type = 'bootstrap.kubernetes.io/token'): SecretLike {
  return {
    metadata: { name, namespace: 'kube-system', uid: `uid-${name}` },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}
const base = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-signing': 'true', 'usage-bootstrap-authentication': 'true' };

test('valid: TTLs as Go durations; 0 = never', () => {
  assert.equal(parseTtl('24h'), 86_400_000);
  assert.equal(parseTtl('1h30m'), 5_400_000);
  assert.equal(parseTtl('0'), 0);
});

for (const bad of ['1d', '-1h', 'forever', '', '10']) {
  test(`invalid: TTL ${JSON.stringify(bad)} is a usage error`, () => {
    assert.throws(
      () => parseTtl(bad),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2,
    );
  });
}

test('defaults: kubeadm token create (24h, signing+authentication, default-node-token group)', () => {
  const spec = tokenSpecFromFlags({ token: TOKEN_PARTS });
  assert.deepEqual(spec, {
    token: TOKEN_PARTS,
    ttlMs: 86_400_000,
    usages: ['signing', 'authentication'],
    groups: ['system:bootstrappers:kubeadm:default-node-token'],
  });
});

test('defaults: no default group without the authentication usage', () => {
  assert.deepEqual(tokenSpecFromFlags({ token: TOKEN_PARTS, usages: ['signing'] }).groups, []);
});

test('valid: usages and groups comma-separated or repeated, de-duplicated', () => {
  const spec = tokenSpecFromFlags({
    token: TOKEN_PARTS,
    usages: ['authentication,signing', 'signing'],
    groups: ['system:bootstrappers:a', 'system:bootstrappers:b,system:bootstrappers:a'],
  });
  assert.deepEqual(spec.usages, ['authentication', 'signing']);
  assert.deepEqual(spec.groups, ['system:bootstrappers:a', 'system:bootstrappers:b']);
});

test('valid: --groups "" means no extra groups', () => {
  assert.deepEqual(tokenSpecFromFlags({ token: TOKEN_PARTS, groups: [''] }).groups, []);
});

const INVALID_FLAGS: [string, Parameters<typeof tokenSpecFromFlags>[0]][] = [
  ['unknown usage', { token: TOKEN_PARTS, usages: ['signing,bogus'] }],
  ['group outside system:bootstrappers', { token: TOKEN_PARTS, groups: ['system:masters'] }],
  ['group ending in a colon', { token: TOKEN_PARTS, groups: ['system:bootstrappers:'] }],
  ['upper-case group', { token: TOKEN_PARTS, groups: ['system:bootstrappers:Ops'] }],
  ['groups without authentication usage', { token: TOKEN_PARTS, usages: ['signing'], groups: ['system:bootstrappers:x'] }],
  ['bad ttl', { token: TOKEN_PARTS, ttl: '3 days' }],
];
for (const [name, flags] of INVALID_FLAGS) {
  test(`invalid: ${name}`, () => assert.throws(() => tokenSpecFromFlags(flags), UsageError));
}

test('Secret: exactly what kubeadm writes', () => {
  const s = tokenToSecret(
    {
      token: TOKEN_PARTS,
      ttlMs: 86_400_000,
      usages: ['signing', 'authentication'],
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
      description: 'rack 4',
    },
    NOW + 999,
  );
  assert.equal(s.metadata.name, 'bootstrap-token-abcdef');
  assert.equal(s.metadata.namespace, 'kube-system');
  assert.equal(s.type, 'bootstrap.kubernetes.io/token');
  const data = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  assert.deepEqual(data, {
    'token-id': 'abcdef',
    'token-secret': '0123456789abcdef',
    description: 'rack 4',
    expiration: '2025-06-02T12:00:00Z',
    'usage-bootstrap-signing': 'true',
    'usage-bootstrap-authentication': 'true',
    'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
  });
});

test('Secret: TTL 0 writes no expiration, no groups writes no auth-extra-groups', () => {
  const s = tokenToSecret({ token: TOKEN_PARTS, ttlMs: 0, usages: ['signing'], groups: [] }, NOW);
  assert.deepEqual(Object.keys(s.data).sort(), ['token-id', 'token-secret', 'usage-bootstrap-signing']);
});

test('round trip: Secret -> TokenInfo (usages sorted like kubeadm)', () => {
  const s = tokenToSecret({ token: TOKEN_PARTS, ttlMs: 3_600_000, usages: ['signing', 'authentication'], groups: ['system:bootstrappers:x'] }, NOW);
  const info = tokenFromSecret(s);
  assert.ok(!('error' in info));
  assert.deepEqual(info, {
    id: 'abcdef',
    secret: '0123456789abcdef',
    description: '',
    expires: '2025-06-01T13:00:00Z',
    expiresMs: NOW + 3_600_000,
    usages: ['authentication', 'signing'],
    groups: ['system:bootstrappers:x'],
  });
});

test('list: malformed Secrets are reported without their secret, and skipped', () => {
  const list = readTokens([
    secret(base),
    secret({ ...base, 'token-id': 'zzzzzz' }, 'bootstrap-token-yyyyyy'),
    secret({ 'token-id': 'qqqqqq' }, 'bootstrap-token-qqqqqq'),
    secret({ ...base, 'token-id': 'bbbbbb', 'token-secret': 'SHOUTING-SECRET!' }, 'bootstrap-token-bbbbbb'),
    secret({ ...base, 'token-id': 'cccccc', expiration: 'tomorrow' }, 'bootstrap-token-cccccc'),
    secret(base, 'bootstrap-token-abcdef', 'Opaque'),
  ]);
  assert.deepEqual(
    list.tokens.map((t) => t.id),
    ['abcdef'],
  );
  assert.equal(list.problems.length, 4);
  for (const p of list.problems) assert.doesNotMatch(p, /SHOUTING|0123456789abcdef/);
});

test('usage: only the exact string "true" enables a usage', () => {
  const info = tokenFromSecret(secret({ ...base, 'usage-bootstrap-signing': 'True', 'usage-bootstrap-authentication': 'yes' }));
  assert.ok(!('error' in info));
  assert.deepEqual(info.usages, []);
});

const PRUNE_CASES: [string, Record<string, string>, boolean][] = [
  ['no expiration: never expires', {}, false],
  ['future expiration: kept', { expiration: '2025-06-01T12:00:01Z' }, false],
  ['expiration equal to now: expired', { expiration: '2025-06-01T12:00:00Z' }, true],
  ['past expiration: expired', { expiration: '2025-06-01T11:59:59Z' }, true],
  ['offset in the past: expired', { expiration: '2025-06-01T12:30:00+01:00' }, true],
  ['unparseable expiration: expired', { expiration: 'next tuesday' }, true],
  ['date only: expired', { expiration: '2099-01-01' }, true],
  ['lower-case z: expired (Go rejects it)', { expiration: '2099-01-01T00:00:00z' }, true],
];
for (const [name, extra, expired] of PRUNE_CASES) {
  test(`prune: ${name}`, () => {
    assert.equal(shouldPrune(secret({ ...base, ...extra }), NOW), expired);
    assert.equal(expiryOf(secret({ ...base, ...extra }), NOW).expired, expired);
  });
}

test('prune: only token-typed Secrets, whatever their name; decisions carry the UID', () => {
  const plan = planPrune(
    [
      secret({ ...base, expiration: 'bad' }, 'not-a-token-name'),
      secret({ ...base, expiration: 'bad' }, 'opaque', 'Opaque'),
      secret({ ...base, expiration: '2000-01-01T00:00:00Z' }),
      secret({ ...base, expiration: '2099-01-01T00:00:00Z' }, 'bootstrap-token-future'),
    ],
    NOW,
  );
  assert.deepEqual(
    plan.map((d) => [d.name, d.uid]),
    [
      ['bootstrap-token-abcdef', 'uid-bootstrap-token-abcdef'],
      ['not-a-token-name', 'uid-not-a-token-name'],
    ],
  );
  assert.match(plan[0]!.reason, /expired at 2000-01-01T00:00:00Z/);
  assert.match(plan[1]!.reason, /not RFC 3339/);
});

const SIGNING_CASES: [string, SecretLike, boolean][] = [
  ['valid: signing token', secret(base), true],
  ['valid: signing only, never expires', secret({ 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-signing': 'true' }), true],
  ['invalid: no signing usage', secret({ ...base, 'usage-bootstrap-signing': 'false' }), false],
  ['invalid: signing usage "True"', secret({ ...base, 'usage-bootstrap-signing': 'True' }), false],
  ['invalid: expired', secret({ ...base, expiration: '2000-01-01T00:00:00Z' }), false],
  ['invalid: unparseable expiration', secret({ ...base, expiration: 'soon' }), false],
  ['invalid: name does not match token-id', secret(base, 'bootstrap-token-zzzzzz'), false],
  ['invalid: name not bootstrap-token-<id>', secret(base, 'my-token'), false],
  ['invalid: empty token-secret', secret({ ...base, 'token-secret': '' }), false],
  ['invalid: wrong type', secret(base, 'bootstrap-token-abcdef', 'Opaque'), false],
];
for (const [name, s, valid] of SIGNING_CASES) {
  test(`signer: ${name}`, () => assert.equal(signingTokenOf(s, NOW) !== undefined, valid));
}

test('delete: an id or a whole token; errors never echo a secret', () => {
  assert.equal(tokenIdOf('abcdef'), 'abcdef');
  assert.equal(tokenIdOf('abcdef.0123456789abcdef'), 'abcdef');
  assert.throws(
    () => tokenIdOf('abcdef.0123456789ABCDEF'),
    (e: unknown) => e instanceof KubejoinError && !e.message.includes('0123456789') && e.exitCode === 2,
  );
});

test('prune: each delete carries the UID precondition; a dry run deletes nothing', async () => {
  const calls: [string, string | undefined][] = [];
  const api = {
    listTokenSecrets: async () => [secret({ ...base, expiration: 'bad' }), secret({ ...base, 'token-id': 'keep00' }, 'bootstrap-token-keep00')],
    deleteSecret: async (name: string, uid?: string) => {
      calls.push([name, uid]);
      return 'changed' as const;
    },
    createSecret: async () => true,
  };
  const dry = await pruneTokens(api, NOW, true);
  assert.deepEqual(
    dry.map((r) => r.outcome),
    ['would-delete'],
  );
  assert.equal(calls.length, 0);
  const real = await pruneTokens(api, NOW, false);
  assert.deepEqual(calls, [['bootstrap-token-abcdef', 'uid-bootstrap-token-abcdef']]);
  assert.equal(real[0]!.outcome, 'changed', 'a UID mismatch (re-created meanwhile) is reported, not an error');
});

test('redact: token-shaped values are masked before they are echoed', () => {
  assert.equal(maskSecrets('unexpected argument "abcdef.0123456789abcdef"'), 'unexpected argument "abcdef.****************"');
});
