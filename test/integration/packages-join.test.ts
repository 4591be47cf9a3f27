import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { probeKeychain } from '../../agent/store/keychain.js';
import { assertNoSecret, keychainJoinArgs, uniqueName, tokenJoinArgs, fileStoreFlags, writeTokenFile } from '../helpers/cli.js';
import { EXE_ARM64, EXE_X64, ok, reportMissingPackages, run, skipReason, usePackages, whoami, withoutNode } from '../helpers/packages.js';
import { workdir } from '../helpers/temp.js';

// The edge packages of `npm run package` at work: the x64 deb unpacked, its
// /usr/bin/kubejoin joining the real control plane with no Node.js visible; the arm64
// executable joining under qemu-user-static; the keytar addon from /usr/lib/kubejoin; doctor.
// Without dist/packages the tests fail under CI=true and are skipped otherwise.

reportMissingPackages('test/integration/packages-join.test.ts');

describe('edge packages: joins (dist/packages from npm run package)', { skip: skipReason }, () => {
  const pkg = usePackages();

  it("valid: the deb's /usr/bin/kubejoin joins with the first-boot recipe (join.yaml + token file) with no Node.js visible", async (t) => {
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') assert.fail('needs root for a private mount namespace (unshare -m)');
      return t.skip('SKIP: needs root for a private mount namespace (unshare -m) to hide Node.js');
    }
    const dir = await workdir(t);
    const token = await pkg.cluster.signedToken();
    const node = uniqueName('deb-x64');
    await writeFile(
      join(dir, 'join.yaml'),
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: ${pkg.cluster.endpoint}\n    caCertHashes:\n      - ${pkg.cluster.caCertHash}\nnodeRegistration:\n  name: ${node}\n`,
    );
    const r = await withoutNode(
      [
        join(pkg.debRoot, 'usr/bin/kubejoin'),
        'join',
        '--config',
        join(dir, 'join.yaml'),
        '--token-file',
        await writeTokenFile(dir, token, 'join-token'),
        ...fileStoreFlags(dir),
      ],
      { HOME: dir },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Joined as system:node:${node}`));
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
    assert.equal((await stat(join(dir, 'pki/kubelet-client-current.pem'))).mode & 0o777, 0o600);
  });

  it('valid: the arm64 executable joins under qemu-user-static', async (t) => {
    const dir = await workdir(t);
    const token = await pkg.cluster.signedToken();
    const node = uniqueName('arm64');
    const r = await run(
      'qemu-aarch64-static',
      [
        EXE_ARM64,
        'join',
        pkg.cluster.endpoint,
        '--token-file',
        await writeTokenFile(dir, token, 'join-token'),
        '--discovery-token-ca-cert-hash',
        pkg.cluster.caCertHash,
        '--node-name',
        node,
        ...fileStoreFlags(dir),
      ],
      { env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' }, timeoutMs: 300_000 },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
  });

  it("valid: the deb's keytar addon loads from /usr/lib/kubejoin: keychain join, kubectl through the exec plugin", async (t) => {
    const problem = await probeKeychain(process.env);
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem}); npm test runs inside dbus-run-session with gnome-keyring`);
    const dir = await workdir(t);
    const token = await pkg.cluster.signedToken();
    const node = uniqueName('deb-keychain');
    const service = uniqueName('kubejoin-pkg-test');
    t.after(async () => {
      const keytar = (await import('keytar')).default;
      for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
    });
    const exe = join(pkg.debRoot, 'usr/bin/kubejoin');
    const env: NodeJS.ProcessEnv = { ...process.env, KUBEJOIN_KEYCHAIN_SERVICE: service, NO_COLOR: '1' };
    delete env.KUBEJOIN_TOKEN;
    const r = await run(exe, keychainJoinArgs(pkg.cluster, await writeTokenFile(dir, token, 'join-token'), node, dir), { env });
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const kubeconfig = await readFile(join(dir, 'kc.conf'), 'utf8');
    assert.doesNotMatch(kubeconfig, /PRIVATE KEY|client-key-data|client-certificate-data/);
    assert.ok(kubeconfig.includes(`command: ${exe}`), 'the executable is its own exec plugin');
    const who = await run('kubectl', ['--kubeconfig', join(dir, 'kc.conf'), 'auth', 'whoami', '-o', 'json'], { env });
    assert.equal(who.code, 0, who.stderr);
    assert.equal((JSON.parse(who.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username, `system:node:${node}`);
  });

  it('valid: without a keytar addon, --store auto says so and uses files', async (t) => {
    if (existsSync('/usr/lib/kubejoin/keytar.node'))
      return t.skip('SKIP: /usr/lib/kubejoin/keytar.node is installed on this machine, so every executable finds an addon');
    const dir = await workdir(t);
    await mkdir(join(dir, 'bin'));
    const exe = join(dir, 'bin', 'kubejoin');
    await copyFile(EXE_X64, exe);
    await run('chmod', ['0755', exe], {});
    const token = await pkg.cluster.signedToken();
    const node = uniqueName('no-addon');
    const r = await run(
      exe,
      [
        ...tokenJoinArgs(pkg.cluster, await writeTokenFile(dir, token, 'join-token'), node),
        '--store',
        'auto',
        '--cert-dir',
        join(dir, 'pki'),
        '--kubeconfig-out',
        join(dir, 'kubelet.conf'),
      ],
      { env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' } },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /has no keytar addon/);
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
  });

  it('valid: kubejoin doctor from the packaged executable checks the real cluster (exit 0)', async (t) => {
    const dir = await workdir(t);
    const token = await pkg.cluster.signedToken();
    const r = await run(
      EXE_X64,
      [
        'doctor',
        pkg.cluster.endpoint,
        '--discovery-token-ca-cert-hash',
        pkg.cluster.caCertHash,
        '--token-file',
        await writeTokenFile(dir, token, 'join-token'),
        '--timeout',
        '60s',
      ],
      { env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' } },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('invalid: admin commands that need the Kubernetes client say the edge executable leaves it out (exit 2)', async () => {
    const r = await run(EXE_X64, ['token', 'list', '--kubeconfig', '/nonexistent'], { env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /leaves out/);
    assert.match((await ok(EXE_X64, ['token', 'generate'])).stdout, /^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
  });
});
