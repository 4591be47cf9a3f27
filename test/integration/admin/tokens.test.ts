// Token administration against the real control plane (the shared, kubeadm-like cluster:
// bootstrapsigner and tokencleaner running).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { planSigning } from '../../../agent/admin/signer.js';
import { signDetached } from '../../../agent/protocol/jws.js';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { eventually } from '../../helpers/poll.js';
import { tempDir } from '../../helpers/temp.js';
import { whoAmI } from '../../helpers/who-am-i.js';

let c: ClusterHandle;
let kc: string[];
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

before(async () => {
  c = await testCluster();
  kc = ['--kubeconfig', c.adminKubeconfig];
});

async function secretOf(id: string): Promise<{ metadata: { resourceVersion: string } } | undefined> {
  const res = await c.request({ path: `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}` });
  return res.status === 200 ? res.json() : undefined;
}

test('token create: the real authenticator accepts it as system:bootstrap:<id>; list shows it; delete revokes it', async () => {
  const created = await kubejoinInProcess(['token', 'create', ...kc, '--description', 'integration test']);
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  const [, id, secret] = TOKEN_RE.exec(token) ?? [];
  assert.ok(id && secret, `not a token: ${JSON.stringify(created.stdout)}`);

  const me = await whoAmI(c, token);
  assert.equal(me.status, 201);
  assert.equal(me.username, `system:bootstrap:${id}`);
  assert.ok(me.groups?.includes('system:bootstrappers'));
  assert.ok(me.groups?.includes('system:bootstrappers:kubeadm:default-node-token'));

  const table = await kubejoinInProcess(['token', 'list', ...kc]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/m);
  const row = table.stdout.split('\n').find((l) => l.startsWith(`${id}.`));
  assert.ok(row, table.stdout);
  assert.match(
    row,
    new RegExp(`^${id}\\.\\*{16}\\s+23h\\s+\\S+Z\\s+authentication,signing\\s+integration test\\s+system:bootstrappers:kubeadm:default-node-token$`),
  );
  assert.ok(!table.stdout.includes(secret), 'the secret is masked');
  assert.ok((await kubejoinInProcess(['token', 'list', ...kc, '--show-secrets'])).stdout.includes(token));

  const json = await kubejoinInProcess(['token', 'list', ...kc, '-o', 'json']);
  const item = (JSON.parse(json.stdout) as { items: { token: string; expires: string; usages: string[]; groups: string[] }[] }).items.find((i) =>
    i.token.startsWith(`${id}.`),
  );
  assert.ok(item);
  assert.ok(Math.abs(Date.parse(item.expires) - (Date.now() + 24 * 3600_000)) < 120_000, item.expires);
  assert.deepEqual(item.usages, ['authentication', 'signing']);
  assert.deepEqual(item.groups, ['system:bootstrappers:kubeadm:default-node-token']);
  const yaml = await kubejoinInProcess(['token', 'list', ...kc, '-o', 'yaml']);
  assert.match(yaml.stdout, new RegExp(`token: ${id}\\.\\*{16}`));

  const deleted = await kubejoinInProcess(['token', 'delete', ...kc, token]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, `bootstrap token "${id}" deleted\n`);
  assert.equal(await secretOf(id), undefined);
  // The authenticator caches a success for ~10 s.
  await eventually('the deleted token to be refused', async () => ((await whoAmI(c, token)).status === 401 ? true : undefined), 30_000);

  const again = await kubejoinInProcess(['token', 'delete', ...kc, id]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /bootstrap token "[a-z0-9]{6}" not found/);
});

test('token create: custom TTL, usages, groups; TTL 0 never expires', async () => {
  const r = await kubejoinInProcess([
    'token',
    'create',
    ...kc,
    '--ttl',
    '1h30m',
    '--usages',
    'authentication',
    '--groups',
    'system:bootstrappers:ops,system:bootstrappers:rack-4',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const token = r.stdout.trim();
  const me = await whoAmI(c, token);
  assert.deepEqual(me.groups?.filter((g) => g.startsWith('system:bootstrappers:')).sort(), ['system:bootstrappers:ops', 'system:bootstrappers:rack-4']);
  const forever = await kubejoinInProcess(['token', 'create', ...kc, '--ttl', '0', '--usages', 'signing']);
  assert.equal(forever.code, 0, forever.stderr);
  const list = await kubejoinInProcess(['token', 'list', ...kc]);
  const id1 = token.slice(0, 6);
  const id2 = forever.stdout.trim().slice(0, 6);
  assert.match(
    list.stdout,
    new RegExp(`^${id1}\\.\\*{16}\\s+(1h|89m|90m)\\s+\\S+\\s+authentication\\s+<none>\\s+system:bootstrappers:ops,system:bootstrappers:rack-4$`, 'm'),
  );
  assert.match(list.stdout, new RegExp(`^${id2}\\.\\*{16}\\s+<forever>\\s+<never>\\s+signing\\s+<none>\\s+<none>$`, 'm'));
  await c.deleteToken(id1);
  await c.deleteToken(id2);
});

test('token create: an existing id is an error, never an overwrite', async () => {
  const token = await c.createToken({ description: 'made by the harness' });
  const id = token.slice(0, 6);
  const before = await secretOf(id);
  const r = await kubejoinInProcess(['token', 'create', ...kc, `${id}.${'z'.repeat(16)}`]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`a bootstrap token with id "${id}" already exists`));
  assert.ok(!r.stderr.includes('z'.repeat(16)), 'the secret is not echoed');
  assert.equal((await secretOf(id))?.metadata.resourceVersion, before?.metadata.resourceVersion);
  assert.equal((await whoAmI(c, token)).status, 201, 'the old token still works');
  await c.deleteToken(id);
});

test('token create: every value is validated before the server is contacted (exit 2)', async () => {
  const unreachable = join(tempDir('kubejoin-admin-'), 'unreachable.conf');
  writeFileSync(
    unreachable,
    'apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: u}}]\ncurrent-context: x\n',
  );
  const cases: [string, string[], RegExp][] = [
    ['malformed token', ['abcdef.TOOSHORT'], /token is malformed/],
    ['bad ttl', ['--ttl', '1d'], /--ttl "1d" is not a duration/],
    ['unknown usage', ['--usages', 'signing,login'], /unknown usage "login"/],
    ['bad group', ['--groups', 'system:masters'], /"system:masters" is not a bootstrap group/],
    ['bad format', ['--print-join-command', '--format', 'rke'], /invalid --format/],
  ];
  for (const [name, args, message] of cases) {
    const r = await kubejoinInProcess(['token', 'create', '--kubeconfig', unreachable, ...args]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message, name);
  }
  const r = await kubejoinInProcess(['token', 'create', '--kubeconfig', unreachable]);
  assert.equal(r.code, 6, 'an unreachable server is exit 6, as for join');
  assert.match(r.stderr, /cannot reach the API server at https:\/\/127\.0\.0\.1:1/);
});

test('token create --print-join-command: the --token-file form with the line that writes the file, and the kubeadm line', async () => {
  const r = await kubejoinInProcess(['token', 'create', ...kc, '--print-join-command']);
  assert.equal(r.code, 0, r.stderr);
  const [write, join, kubeadm] = r.stdout.trimEnd().split('\n');
  const token = /^\(umask 077 && echo ([a-z0-9]{6}\.[a-z0-9]{16}) > join-token\)$/.exec(write ?? '')?.[1];
  assert.ok(token, r.stdout);
  assert.equal(join, `kubejoin join ${c.endpoint} --token-file join-token --discovery-token-ca-cert-hash ${c.caCertHash}`);
  assert.equal(
    kubeadm,
    `# or, as kubeadm prints it (kubejoin join takes it too): kubeadm join ${c.endpoint} --token ${token} --discovery-token-ca-cert-hash ${c.caCertHash}`,
  );
  assert.equal((await whoAmI(c, token)).status, 201);
  const k = await kubejoinInProcess(['token', 'create', ...kc, '--print-join-command', '--format', 'kubeadm']);
  assert.match(k.stdout, new RegExp(`^kubeadm join ${c.endpoint} --token [a-z0-9]{6}\\.[a-z0-9]{16} --discovery-token-ca-cert-hash ${c.caCertHash}\\n$`));
  await c.deleteToken(token.slice(0, 6));
  await c.deleteToken(k.stdout.split(' ')[4]!.slice(0, 6));
});

test('token list: malformed token Secrets are reported on stderr and skipped', async () => {
  const good = await c.createToken();
  const bad = { 'token-id': Buffer.from('mismat').toString('base64'), 'token-secret': Buffer.from('0123456789abcdef').toString('base64') };
  await c.request({
    method: 'POST',
    path: '/api/v1/namespaces/kube-system/secrets',
    body: { metadata: { name: 'bootstrap-token-qqqqqq' }, type: 'bootstrap.kubernetes.io/token', data: bad },
  });
  const r = await kubejoinInProcess(['token', 'list', ...kc]);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /warning: skipped a malformed token: Secret bootstrap-token-qqqqqq: its name does not match its token-id/);
  assert.ok(!r.stderr.includes('0123456789abcdef'));
  assert.ok(r.stdout.includes(`${good.slice(0, 6)}.`));
  await c.request({ method: 'DELETE', path: '/api/v1/namespaces/kube-system/secrets/bootstrap-token-qqqqqq' });
  await c.deleteToken(good.slice(0, 6));
});

test('RBAC: a refusal names verb, resource, namespace and identity (exit 2)', async () => {
  const token = await c.createToken();
  const id = token.slice(0, 6);
  const file = join(tempDir('kubejoin-admin-'), 'bootstrap.conf');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: k, cluster: {server: "${c.server}", certificate-authority-data: ${Buffer.from(c.caPem).toString('base64')}}}]\nusers: [{name: b, user: {token: ${token}}}]\ncontexts: [{name: b, context: {cluster: k, user: b}}]\ncurrent-context: b\n`,
  );
  const list = await kubejoinInProcess(['token', 'list', '--kubeconfig', file]);
  assert.equal(list.code, 2);
  assert.match(list.stderr, new RegExp(`^error: denied: list secrets in namespace kube-system as system:bootstrap:${id}\\n`));
  assert.ok(!list.stderr.includes(token.slice(7)), 'the secret is not echoed');
  // The same identity through an exec credential plugin (client-node runs it, like kubectl).
  const plugin = join(tempDir('kubejoin-admin-'), 'cred.sh');
  writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${token}"}}'\n`, {
    mode: 0o755,
  });
  const execFile = `${file}.exec`;
  writeFileSync(
    execFile,
    `apiVersion: v1\nkind: Config\nclusters: [{name: k, cluster: {server: "${c.server}", certificate-authority-data: ${Buffer.from(c.caPem).toString('base64')}}}]\nusers: [{name: e, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, interactiveMode: Never}}}]\ncontexts: [{name: e, context: {cluster: k, user: e}}]\ncurrent-context: e\n`,
  );
  const viaExec = await kubejoinInProcess(['token', 'list', '--kubeconfig', execFile], { env: { PATH: process.env.PATH ?? '' } });
  assert.equal(viaExec.code, 2, viaExec.stderr);
  assert.match(viaExec.stderr, new RegExp(`denied: list secrets in namespace kube-system as system:bootstrap:${id}`));
  const prep = await kubejoinInProcess(['cluster', 'prepare', '--kubeconfig', file]);
  assert.equal(prep.code, 2);
  assert.match(prep.stderr, new RegExp(`denied: get clusterrolebindings\\.rbac\\.authorization\\.k8s\\.io \\(cluster-wide\\) as system:bootstrap:${id}`));
  await c.deleteToken(id);
});

test('cluster sign: signatures byte-identical to the real BootstrapSigner (nothing to write)', async () => {
  const created = await kubejoinInProcess(['token', 'create', ...kc]);
  const [, id, secret] = TOKEN_RE.exec(created.stdout.trim()) ?? [];
  assert.ok(id && secret);
  await c.waitForSignature(id);
  const read = async (): Promise<{ metadata: { resourceVersion: string }; data: Record<string, string> }> =>
    (await c.request({ path: '/api/v1/namespaces/kube-public/configmaps/cluster-info' })).json();
  let cm = await read();
  // Let the controller settle (it may still be removing keys of tokens other tests deleted).
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const again = await read();
    if (again.metadata.resourceVersion === cm.metadata.resourceVersion) break;
    cm = again;
  }
  const real = cm.data[`jws-kubeconfig-${id}`];
  assert.equal(signDetached(cm.data.kubeconfig!, id, secret), real);
  const secrets = (await c.request({ path: '/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken' })).json<{
    items: object[];
  }>().items;
  const plan = planSigning(cm.data, secrets, Date.now());
  assert.equal(plan.data[`jws-kubeconfig-${id}`], real);
  assert.deepEqual(plan.data, cm.data, 'our plan for the whole ConfigMap equals what the controller wrote');

  const sign = await kubejoinInProcess(['cluster', 'sign', ...kc]);
  assert.equal(sign.code, 0, sign.stderr);
  assert.match(sign.stdout, /cluster-info signatures are up to date/);
  assert.equal((await read()).metadata.resourceVersion, cm.metadata.resourceVersion, 'cluster sign wrote nothing');
  await c.deleteToken(id);
});

test("cluster prepare: on a kubeadm-like cluster kubeadm's six objects are there; it adds only the nodes' watch of cluster-info", async () => {
  const r = await kubejoinInProcess(['cluster', 'prepare', ...kc]);
  assert.equal(r.code, 0, r.stderr);
  // The shared cluster may have been prepared by an earlier test: the watch's two objects are created once.
  assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('unchanged ') && /kubeadm:|ConfigMap kube-public\/cluster-info$/.test(l)).length, 6, r.stdout);
  assert.match(r.stdout, /^(created|unchanged) Role kube-public\/kubejoin:cluster-info-watch$/m);
  assert.match(r.stdout, /^(created|unchanged) RoleBinding kube-public\/kubejoin:cluster-info-watch$/m);
  const again = await kubejoinInProcess(['cluster', 'prepare', ...kc]);
  assert.match(again.stdout, /Nothing changed: the cluster was already prepared \(8 objects up to date\)/);
});

test('ca-hash: the CA pin from the kubeconfig or a PEM file', async () => {
  const fromKc = await kubejoinInProcess(['ca-hash', ...kc]);
  assert.equal(fromKc.stdout, `${c.caCertHash}\n`);
  const fromFile = await kubejoinInProcess(['ca-hash', '--ca-file', c.caFile]);
  assert.equal(fromFile.stdout, `${c.caCertHash}\n`);
  const viaEnv = await kubejoinInProcess(['ca-hash'], { env: { KUBECONFIG: c.adminKubeconfig } });
  assert.equal(viaEnv.stdout, `${c.caCertHash}\n`);
});
