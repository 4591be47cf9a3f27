// `token prune` against the real TokenCleaner: the same set of token Secrets goes to a cluster
// running the controller and to a bare one where kubejoin prunes; the survivors must match.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AdminClient } from '../../../agent/admin/client.js';
import { startCluster, testCluster, tokenSecret, type ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { sleep } from '../../helpers/poll.js';

let withCleaner: ClusterHandle;
let bare: ClusterHandle;

before(async () => {
  [withCleaner, bare] = await Promise.all([testCluster(), startCluster({ bare: true })]);
});
after(async () => bare?.stop());

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Cases by name: the raw expiration (undefined = none), and optionally another type or name. */
function cases(now: number): Record<string, { expiration?: string; type?: string; name?: string }> {
  return {
    'expired an hour ago': { expiration: rfc3339(now - 3600_000) },
    'expires in an hour': { expiration: rfc3339(now + 3600_000) },
    'no expiration': {},
    'garbage expiration': { expiration: 'not a time' },
    'date only (Go rejects)': { expiration: '2099-01-02' },
    'lower-case z (Go rejects)': { expiration: '2099-01-02T03:04:05z' },
    'one-digit hour (Go accepts)': { expiration: '2099-01-02T3:04:05Z' },
    'comma fraction (Go accepts)': { expiration: '2099-01-02T03:04:05,5Z' },
    'offset +24:00 (Go accepts)': { expiration: '2099-01-02T03:04:05+24:00' },
    'offset +25:00 (Go rejects)': { expiration: '2099-01-02T03:04:05+25:00' },
    'February 30 (Go rejects)': { expiration: '2099-02-30T00:00:00Z' },
    'past with offset': { expiration: '2001-01-01T00:00:00-05:00' },
    'Opaque type, expired': { expiration: 'not a time', type: 'Opaque' },
    'odd name, expired': { expiration: 'not a time', name: 'not-a-bootstrap-token-name' },
  };
}

async function plant(c: ClusterHandle, run: string): Promise<void> {
  const now = Date.now();
  for (const [label, spec] of Object.entries(cases(now))) {
    const { secret } = tokenSecret(spec.expiration === undefined ? { ttlSeconds: 0 } : { expiration: spec.expiration });
    const s = secret as { metadata: { name: string; labels?: Record<string, string> }; type: string };
    s.metadata.labels = { 'kubejoin-test-run': run, 'kubejoin-test-case': Buffer.from(label).toString('hex').slice(0, 63) };
    if (spec.type) s.type = spec.type;
    if (spec.name) s.metadata.name = `${spec.name}-${run}`;
    const res = await c.request({ method: 'POST', path: '/api/v1/namespaces/kube-system/secrets', body: s });
    assert.equal(res.status, 201, res.text);
  }
}

async function survivors(c: ClusterHandle, run: string): Promise<string[]> {
  const res = await c.request({ path: `/api/v1/namespaces/kube-system/secrets?labelSelector=kubejoin-test-run%3D${run}` });
  const items = res.json<{ items: { metadata: { labels: Record<string, string> } }[] }>().items;
  return items.map((i) => Buffer.from(i.metadata.labels['kubejoin-test-case']!, 'hex').toString()).sort();
}

test('token prune deletes exactly what the real TokenCleaner deletes', async () => {
  const run = `r${Date.now().toString(36)}`;
  await plant(withCleaner, run);
  // The controller acts on each add; wait until the survivors stop changing.
  let kept = await survivors(withCleaner, run);
  for (let stable = 0; stable < 12;) {
    await sleep(250);
    const now = await survivors(withCleaner, run);
    stable = now.join() === kept.join() ? stable + 1 : 0;
    kept = now;
  }
  assert.deepEqual(kept, [
    'Opaque type, expired',
    'comma fraction (Go accepts)',
    'expires in an hour',
    'no expiration',
    'offset +24:00 (Go accepts)',
    'one-digit hour (Go accepts)',
  ]);

  await plant(bare, run);
  const all = await survivors(bare, run);
  const dry = await kubejoinInProcess(['token', 'prune', '--dry-run', '--kubeconfig', bare.adminKubeconfig]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout.match(/^would delete /gm)?.length, all.length - kept.length, dry.stdout);
  assert.match(dry.stdout, /would delete kube-system\/not-a-bootstrap-token-name-\S+ \(its expiration "not a time" is not RFC 3339, so it counts as expired\)/);
  assert.deepEqual(await survivors(bare, run), all, 'a dry run deletes nothing');

  const r = await kubejoinInProcess(['token', 'prune', '--kubeconfig', bare.adminKubeconfig]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${all.length - kept.length} expired token\\(s\\) deleted\\.$`, 'm'));
  assert.deepEqual(await survivors(bare, run), kept, 'kubejoin kept exactly what the TokenCleaner kept');

  const again = await kubejoinInProcess(['token', 'prune', '--kubeconfig', bare.adminKubeconfig]);
  assert.match(again.stdout, /Nothing to prune/);
});

test('prune deletes with a UID precondition: a re-created Secret of the same name survives', async () => {
  const client = await AdminClient.connect({ kubeconfig: bare.adminKubeconfig }, {});
  const { secret, id } = tokenSecret({ expiration: 'bad' });
  await bare.request({ method: 'POST', path: '/api/v1/namespaces/kube-system/secrets', body: secret });
  assert.equal(await client.deleteSecret(`bootstrap-token-${id}`, '00000000-0000-0000-0000-000000000000'), 'changed');
  assert.equal((await bare.request({ path: `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}` })).status, 200);
  await bare.deleteToken(id);
});
