import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { formatTable, formatTokens } from '../../../agent/admin/token-format.js';
import type { TokenInfo } from '../../../agent/admin/token-secret.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const kubeadmTestToken: TokenInfo = {
  id: 'abcdef',
  secret: '1234567890123456',
  description: 'valid bootstrap tooken',
  usages: ['signing', 'authentication'],
  groups: ['system:bootstrappers:kubeadm:default-node-token'],
};

test('table: byte-identical to kubeadm (its token_test.go "text output" case) with --show-secrets', () => {
  assert.equal(
    formatTable([kubeadmTestToken], NOW, true),
    `TOKEN                     TTL         EXPIRES   USAGES                   DESCRIPTION                                                EXTRA GROUPS
abcdef.1234567890123456   <forever>   <never>   signing,authentication   valid bootstrap tooken                                     system:bootstrappers:kubeadm:default-node-token
`,
  );
});

test('table: the secret is masked by default, columns stay aligned', () => {
  const out = formatTable([kubeadmTestToken], NOW, false);
  assert.doesNotMatch(out, /1234567890123456/);
  assert.match(out, /^abcdef\.\*{16}   <forever>/m);
});

test('table: TTL and EXPIRES of an expiring token; <none> for empty fields', () => {
  const t: TokenInfo = {
    id: 'qwerty',
    secret: 'x'.repeat(16),
    description: '',
    usages: [],
    groups: [],
    expires: '2025-06-02T12:00:00Z',
    expiresMs: NOW + 86_400_000,
  };
  const [, row] = formatTable([t], NOW, false).split('\n');
  assert.match(row!, /^qwerty\.\*{16}   1d          2025-06-02T12:00:00Z   <none>\s+<none>\s+<none>$/);
});

test('table: no tokens, no output (like kubeadm)', () => {
  assert.equal(formatTable([], NOW, false), '');
});

test('json/yaml: a List of kubeadm output.kubeadm.k8s.io/v1alpha3 BootstrapToken objects', () => {
  const expiring: TokenInfo = { ...kubeadmTestToken, id: 'zzzzzz', description: '', expires: '2025-06-01T13:00:00+01:00', expiresMs: NOW };
  for (const format of ['json', 'yaml'] as const) {
    const text = formatTokens(format, [kubeadmTestToken, expiring], NOW, false);
    const doc = (format === 'json' ? JSON.parse(text) : parse(text)) as { kind: string; items: Record<string, unknown>[] };
    assert.equal(doc.kind, 'List');
    assert.deepEqual(doc.items[0], {
      kind: 'BootstrapToken',
      apiVersion: 'output.kubeadm.k8s.io/v1alpha3',
      token: 'abcdef.****************',
      description: 'valid bootstrap tooken',
      usages: ['signing', 'authentication'],
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
    });
    assert.equal(doc.items[1]!.expires, '2025-06-01T12:00:00Z');
    assert.equal(doc.items[1]!.description, undefined);
    assert.doesNotMatch(text, /1234567890123456/);
  }
  assert.match(formatTokens('json', [kubeadmTestToken], NOW, true), /"token": "abcdef\.1234567890123456"/);
});
