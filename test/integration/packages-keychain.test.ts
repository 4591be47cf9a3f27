import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KEYCHAIN_HELPER_ARG } from '../../agent/store/keytar-loader.js';
import { assertNoSecret, keychainJoinArgs, uniqueName, writeTokenFile } from '../helpers/cli.js';
import { reportMissingPackages, run, skipReason, usePackages } from '../helpers/packages.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { privateKeyring } from './private-keyring.js';

// The single executable's keychain (docs/stores.md §2): it starts itself again as the keychain
// helper (`kubejoin --kubejoin-keychain-helper`), so libsecret crashing on a locked collection,
// or a frozen keyring, ends the helper and never the executable. A real gnome-keyring of the
// test's own, locked (D-Bus Lock) or frozen (SIGSTOP); the x64 deb unpacked; the real cluster.

reportMissingPackages('packages-keychain');
const haveKeyring = ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus'].every((c) => ['/usr/bin', '/bin'].some((d) => existsSync(join(d, c))));
const skip = skipReason || (haveKeyring ? false : 'SKIP: needs dbus-daemon, gnome-keyring-daemon and gdbus');

/** Live helpers started by `exe`, from /proc. */
async function helpersOf(exe: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0] === exe && argv.includes(KEYCHAIN_HELPER_ARG)) found.push(Number(pid));
  }
  return found;
}

describe('edge packages: the executable is its own keychain helper (a real gnome-keyring)', { skip }, () => {
  const pkg = usePackages();

  /** A keychain join with `exe`; the kubeconfig it wrote. */
  async function keychainJoin(exe: string, dir: string, env: NodeJS.ProcessEnv, node: string): Promise<string> {
    const token = await pkg.cluster.signedToken();
    const joined = await run(exe, keychainJoinArgs(pkg.cluster, await writeTokenFile(dir, token, 'join-token'), node, dir), { env });
    assertNoSecret(joined, token);
    assert.equal(joined.code, 0, joined.stdout + joined.stderr);
    return join(dir, 'kc.conf');
  }

  it('invalid: libsecret crashes on the locked collection: reset exits 7 in words, the executable survives, nothing removed', async (t) => {
    const kr = await privateKeyring(t);
    const dir = await workdir(t);
    const exe = join(pkg.debRoot, 'usr/bin/kubejoin');
    const env = { ...kr.env, NO_COLOR: '1' };
    const kubeconfig = await keychainJoin(exe, dir, env, uniqueName('sea-locked'));
    await kr.lock();
    const r = await run(exe, ['reset', '--force', '--kubeconfig', kubeconfig], { env });
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.match(r.stderr, /the keychain helper crashed \(SIGSEGV\); libsecret does this on a locked collection/);
    assert.ok(existsSync(kubeconfig), 'the kubeconfig is kept: nothing was removed');
    assert.deepEqual(await helpersOf(exe), []);
  });

  it('invalid: a frozen keyring: the join waits in a helper process, Ctrl-C ends both at once, nothing written', async (t) => {
    const kr = await privateKeyring(t);
    kr.freeze();
    const dir = await workdir(t);
    const exe = join(pkg.debRoot, 'usr/bin/kubejoin');
    const token = await pkg.cluster.signedToken();
    const child = spawn(exe, keychainJoinArgs(pkg.cluster, await writeTokenFile(dir, token, 'join-token'), uniqueName('sea-frozen'), dir), {
      env: { ...kr.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let helpers: number[] = [];
    for (let i = 0; i < 100 && helpers.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      helpers = await helpersOf(exe);
    }
    assert.equal(helpers.length, 1, 'the keychain probe waits in its own process');
    const interrupted = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /cancelled/);
    assert.ok(Date.now() - interrupted < 1000, `ended ${Date.now() - interrupted} ms after Ctrl-C`);
    for (let i = 0; i < 20 && (await helpersOf(exe)).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await helpersOf(exe), [], 'no helper left');
    assert.deepEqual(await filesUnder(dir), ['join-token']);
  });
});
