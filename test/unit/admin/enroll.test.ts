// Bound-token enrollment without a server (agent/admin/enroll.ts): node lists, the checks
// before any server contact, all-or-nothing creation, and a provisioning file the kiosk reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOUND_GROUP } from '../../../agent/admin/bound.js';
import { boundSpecs, createAll, parseNodeList, provisioningFile } from '../../../agent/admin/enroll.js';
import { tokenFromSecret, tokenToSecret, type SecretLike } from '../../../agent/admin/token-secret.js';
import type { TokenApi } from '../../../agent/admin/tokens.js';
import { formatTable } from '../../../agent/admin/token-format.js';
import { UsageError } from '../../../agent/errors.js';
import { parseProvision } from '../../../main/provision.js';

const PIN = `sha256:${'a'.repeat(64)}`;

test('valid: a node list with comments and blank lines', () => {
  assert.deepEqual(parseNodeList('# rack 4\nedge-1\n\n  edge-2  # spare\r\nedge-3\n', 'fleet.txt'), ['edge-1', 'edge-2', 'edge-3']);
});

test('invalid: node lists and flags, refused before the server is contacted', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['bad name in file', () => parseNodeList('edge-1\nEdge_2\n', 'fleet.txt'), /^fleet.txt:2: the node name "Edge_2" is not a valid DNS-1123 subdomain/],
    ['empty file', () => parseNodeList('# nothing\n', 'fleet.txt'), /names no node/],
    ['duplicate', () => boundSpecs({ nodes: ['a', 'b', 'a'], singleUse: false }), /the node a is named twice/],
    ['groups', () => boundSpecs({ nodes: ['a'], singleUse: false, groups: ['system:bootstrappers:x'] }), /--groups does not go with --node-name/],
    ['usages', () => boundSpecs({ nodes: ['a'], singleUse: false, usages: ['signing'] }), /needs the usages signing and authentication/],
    ['one token, two nodes', () => boundSpecs({ nodes: ['a', 'b'], singleUse: false, token: { id: 'abcdef', secret: '0123456789abcdef' } }), /one node only/],
  ];
  for (const [what, fn, message] of cases) {
    assert.throws(fn, (e: unknown) => e instanceof UsageError && message.test(e.message), what);
  }
});

test('valid: one spec per node, each in the bound group only, single-use marked on its Secret', () => {
  const specs = boundSpecs({ nodes: ['edge-1', 'edge-2'], singleUse: true, ttl: '2h' });
  assert.deepEqual(
    specs.map((s) => [s.nodeName, s.groups, s.singleUse, s.ttlMs]),
    [
      ['edge-1', [BOUND_GROUP], true, 7_200_000],
      ['edge-2', [BOUND_GROUP], true, 7_200_000],
    ],
  );
  assert.notEqual(specs[0]!.token.id, specs[1]!.token.id);
});

test('all or nothing: a failed create deletes the tokens created before it', async () => {
  const created: string[] = [];
  const deleted: string[] = [];
  const api: TokenApi = {
    createSecret: async (s) => {
      if (created.length === 2) throw new Error('server went away');
      created.push(s.metadata!.name!);
      return true;
    },
    deleteSecret: async (name) => (deleted.push(name), 'deleted'),
    listTokenSecrets: async () => [],
  };
  await assert.rejects(createAll(api, boundSpecs({ nodes: ['a', 'b', 'c'], singleUse: false }), Date.now()), /server went away/);
  assert.deepEqual(deleted, created);
  assert.equal(created.length, 2);
});

test('the provisioning file is one the kiosk reads: endpoint, pin, token, node name', async () => {
  const [spec] = boundSpecs({ nodes: ['kiosk-7'], singleUse: true });
  const text = provisioningFile('10.0.0.1:6443', [PIN], { spec: spec!, expires: '2026-06-02T00:00:00Z' });
  const parsed = await parseProvision(text, 'kiosk-7.yaml', () => Promise.reject(new Error('no token file')));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const req = parsed.provision.request;
  assert.deepEqual([req.endpoint, req.token, req.caCertHashes, req.nodeName], ['10.0.0.1:6443', `${spec!.token.id}.${spec!.token.secret}`, [PIN], 'kiosk-7']);
});

test('a bound token read back from its Secret shows its node and single use', () => {
  const [spec] = boundSpecs({ nodes: ['edge-1'], singleUse: true });
  const info = tokenFromSecret(tokenToSecret(spec!, Date.now()) as SecretLike);
  assert.ok(!('error' in info));
  assert.deepEqual([info.nodeName, info.singleUse, info.groups], ['edge-1', true, [BOUND_GROUP]]);
});

test("token list: the default table stays kubeadm's; -o wide adds NODE and SINGLE-USE", () => {
  const [spec] = boundSpecs({ nodes: ['edge-1'], singleUse: true });
  const bound = tokenFromSecret(tokenToSecret(spec!, Date.now()) as SecretLike);
  const plain = tokenFromSecret(
    tokenToSecret({ ...spec!, token: { id: 'zzzzzz', secret: '0123456789abcdef' }, nodeName: undefined, singleUse: undefined }, Date.now()) as SecretLike,
  );
  assert.ok(!('error' in bound) && !('error' in plain));
  const table = formatTable([bound, plain], Date.now(), false);
  assert.match(table.split('\n')[0]!, /EXTRA GROUPS$/);
  const wide = formatTable([bound, plain], Date.now(), false, true).split('\n');
  assert.match(wide[0]!, /EXTRA GROUPS\s+NODE\s+SINGLE-USE$/);
  assert.match(wide[1]!, /kubejoin:bound\s+edge-1\s+yes$/);
  assert.match(wide[2]!, /kubejoin:bound\s+<any>\s+-$/);
});
