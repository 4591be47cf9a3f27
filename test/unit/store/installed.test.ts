// The credential a join left, found through its kubeconfig, and the file store's kill-safe
// replace (timestamped pem + one rename of the kubelet-client-current.pem symlink).
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { renderKubeconfig } from '../../../agent/protocol/kubeconfig.js';
import { locateCredential } from '../../../agent/store/installed.js';
import { FileStore, timestampedName } from '../../../agent/store/file.js';
import { pairMatches } from '../../../agent/store/pem-pair.js';
import { nodeCredential } from '../lifecycle/node-cert.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const cluster = { server: 'https://10.0.0.1:6443', caPem: CA };
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kubejoin-installed-'));
  dirs.push(d);
  return d;
}

const day = 86_400_000;

describe('locateCredential', () => {
  it('no kubeconfig: undefined (not joined)', async () => {
    assert.equal(await locateCredential({ kubeconfig: join(await tmp(), 'none.conf'), env: {} }), undefined);
  });

  it('a file-store kubeconfig: the file store, with the pem it names', async () => {
    const dir = await tmp();
    const pem = join(dir, 'pki', 'kubelet-client-current.pem');
    await writeFile(join(dir, 'k.conf'), renderKubeconfig(cluster, { kind: 'files', certFile: pem, keyFile: pem }));
    const found = await locateCredential({ kubeconfig: join(dir, 'k.conf'), env: {} });
    assert.ok(found instanceof FileStore);
    assert.equal(found.currentPath, pem);
    assert.deepEqual(found.cluster, cluster);
    assert.equal(await found.load(), undefined, 'the pem is gone: nothing loaded');
  });

  it("a keychain kubeconfig: node name and server from the exec plugin's arguments", async () => {
    const dir = await tmp();
    await writeFile(
      join(dir, 'k.conf'),
      renderKubeconfig(cluster, {
        kind: 'exec',
        command: '/usr/bin/node',
        args: ['/x/cli.mjs', 'credential', '--server', cluster.server, '--node-name', 'kiosk-7'],
      }),
    );
    const found = await locateCredential({ kubeconfig: join(dir, 'k.conf'), env: { KUBEJOIN_KEYCHAIN_SERVICE: 'svc' } });
    assert.equal(found?.kind, 'keychain');
    assert.equal(found?.describe().location, `keychain service "svc", account "kiosk-7@${cluster.server}"`);
    assert.equal(found?.rotationKeyLocation, `keychain service "svc", account "kiosk-7@${cluster.server}#rotation-key"`);
  });

  it("someone else's kubeconfig: exit 2 with what is wrong", async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'k.conf'), renderKubeconfig(cluster, { kind: 'exec', command: 'aws', args: ['eks', 'get-token'] }));
    await assert.rejects(locateCredential({ kubeconfig: join(dir, 'k.conf'), env: {} }), (err: Error & { category?: string }) => {
      assert.equal(err.category, 'invalid-input');
      assert.match(
        err.message,
        /is not a kubeconfig written by kubejoin join: its user is neither a client certificate file nor the "kubejoin credential" exec plugin/,
      );
      return true;
    });
  });
});

describe('FileStore.replace', () => {
  it('writes a timestamped pem (0600), switches the symlink, drops the rotation key, keeps one previous pem', async () => {
    const dir = await tmp();
    const certDir = join(dir, 'pki');
    await mkdir(certDir, { mode: 0o700 });
    const current = join(certDir, 'kubelet-client-current.pem');
    const first = await nodeCredential('n1', new Date(Date.now() - day), new Date(Date.now() + day));
    await writeFile(current, `${first.certPem}${first.keyPem}`, { mode: 0o600 });
    const store = new FileStore({ certDir: dirname(current), kubeconfigPath: join(dir, 'k.conf'), currentPath: current }, 'test', cluster);
    assert.deepEqual(await store.load(), { certPem: first.certPem.trim() + '\n', keyPem: first.keyPem.trim() + '\n' });

    const targets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await nodeCredential('n1', new Date(Date.now() - day), new Date(Date.now() + day));
      await store.saveRotationKey(next.keyPem);
      await store.replace(next.certPem, next.keyPem);
      assert.ok((await lstat(current)).isSymbolicLink());
      const target = await readlink(current);
      targets.push(target);
      assert.match(target, /kubelet-client-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}(\.\d+)?\.pem$/);
      assert.equal((await stat(target)).mode & 0o777, 0o600);
      const loaded = await store.load();
      assert.ok(loaded && pairMatches(loaded.certPem, loaded.keyPem));
      assert.equal(loaded.certPem.trim(), next.certPem.trim());
      assert.equal(await store.loadRotationKey(), undefined, 'rotation key dropped');
    }
    assert.equal(new Set(targets).size, 3, 'same second: distinct names');
    const left = (await readdir(certDir)).sort();
    assert.deepEqual(
      left
        .filter((f) => f !== 'kubelet-client-current.pem')
        .map((f) => join(certDir, f))
        .sort(),
      targets.slice(1).sort(),
      'current and the previous one',
    );

    const items = await store.inventory();
    assert.equal(items[0]!.what, 'client certificate and key');
    assert.equal(items[1]!.what, 'earlier client certificate and key');
    const removed = await store.remove();
    assert.deepEqual(removed, items);
    assert.deepEqual(await readdir(certDir), []);
    assert.equal(await readFile(current, 'utf8').catch(() => 'gone'), 'gone');
  });

  it("timestampedName is the kubelet's format, in UTC", () => {
    assert.equal(timestampedName(new Date('2026-11-29T23:50:02.123Z')), 'kubelet-client-2026-11-29-23-50-02.pem');
  });
});
