import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runKeytar, setKeychainHelperLauncher, type KeytarOp } from '../../agent/store/keytar-child.js';
import { utilityProcessLauncher, type UtilityProcessLike } from '../../main/keychain-launcher.js';
import { getDeviceFacts, join as engineJoin, parseJoinCommand, type JoinResult } from '../../agent/index.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { startTestApp, stopTestApps } from '../helpers/main-app.js';
import { ROOT, ensureBuilt, keychainJoinArgs, run, uniqueName, writeTokenFile } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { kubejoinRun } from './fault-helpers.js';
import { privateKeyring } from './private-keyring.js';

// The desktop app's keychain (docs/stores.md §2): keytar runs in a utilityProcess
// (main/keychain-launcher.ts + dist/main/keychain-helper.cjs), and the app is its own CLI for
// kubectl (main/cli-mode.ts). There is no Electron binary here, so utilityProcess is made of
// Node's child_process.fork with process.parentPort over IPC (test/helpers/electron-node/), and
// dist/main/main.cjs runs under Node with that as its `electron` module. Everything else is
// real: the bundles, libsecret, gnome-keyring, kubectl and the cluster.

const require = createRequire(import.meta.url);
const utility = require('../helpers/electron-node/utility-fork.cjs') as UtilityProcessLike & { forks: { modulePath: string; pid: number }[] };
const ELECTRON_MODULE = join(ROOT, 'test/helpers/electron-node/electron-module.cjs');
const HELPER = join(ROOT, 'dist/main/keychain-helper.cjs');
const MAIN = join(ROOT, 'dist/main/main.cjs');
const haveKeyring = ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus'].every((c) => ['/usr/bin', '/bin'].some((d) => existsSync(join(d, c))));
const skip = haveKeyring ? false : 'SKIP: needs dbus-daemon, gnome-keyring-daemon and gdbus (Debian packages dbus, gnome-keyring, libglib2.0-bin)';

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

/** For this test: keytar calls go to a utilityProcess helper (a new one: the test has its own keyring). */
function useUtilityHelper(t: TestContext): void {
  setKeychainHelperLauncher(utilityProcessLauncher(utility, HELPER));
  t.after(() => setKeychainHelperLauncher(undefined));
}

describe('desktop app: keytar in a utilityProcess (a real gnome-keyring)', { skip }, () => {
  it('valid: set, get, find and delete go through the helper process, never this one', async (t) => {
    const kr = await privateKeyring(t);
    useUtilityHelper(t);
    const service = uniqueName('kubejoin-utility');
    const before = utility.forks.length;
    const ops: KeytarOp[] = [
      { op: 'set', service, account: 'a', password: 'secret-a' },
      { op: 'get', service, account: 'a' },
      { op: 'find', service },
      { op: 'delete', service, account: 'a' },
      { op: 'get', service, account: 'a' },
    ];
    const answers = await runKeytar(ops, { env: kr.env });
    assert.deepEqual(answers, [true, 'secret-a', ['a'], true, null]);
    assert.equal(utility.forks.length, before + 1, 'one helper was forked');
    assert.equal(utility.forks.at(-1)!.modulePath, HELPER);
  });

  it('invalid: a frozen keyring: the call fails within the bound and the helper is ended', async (t) => {
    const kr = await privateKeyring(t);
    useUtilityHelper(t);
    kr.freeze();
    const started = Date.now();
    await assert.rejects(
      runKeytar([{ op: 'get', service: 'kubejoin', account: 'x' }], { env: { ...kr.env, KUBEJOIN_KEYCHAIN_TIMEOUT: '1500ms' } }),
      (err: Error & { kind?: string }) => err.kind === 'timeout' && /did not answer within 1\.5 s/.test(err.message),
    );
    assert.ok(Date.now() - started < 2500, `failed after ${Date.now() - started} ms`);
    const pid = utility.forks.at(-1)!.pid;
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(pid), false, 'the helper was killed');
    kr.thaw();
  });

  it('invalid: a locked collection: the refusal in words; libsecret crashing on it ends the helper, not this process', async (t) => {
    const kr = await privateKeyring(t);
    useUtilityHelper(t);
    const service = uniqueName('kubejoin-locked');
    await runKeytar([{ op: 'set', service, account: 'a', password: 'secret-a' }], { env: kr.env });
    await kr.lock();
    await assert.rejects(
      runKeytar([{ op: 'set', service, account: 'b', password: 'y' }], { env: kr.env }),
      (err: Error & { kind?: string }) => err.kind === 'refused' && /Cannot create an item in a locked collection/.test(err.message),
    );
    // libsecret dereferences a secret it could not unlock (SIGSEGV): in the helper.
    await assert.rejects(
      runKeytar([{ op: 'find', service }], { env: kr.env }),
      (err: Error & { kind?: string }) =>
        err.kind === 'crashed' && /^the keychain helper crashed \(exit code 11\); libsecret does this on a locked collection/.test(err.message),
    );
    // This process carries on, and the next call starts a new helper, which answers.
    const forks = utility.forks.length;
    await assert.rejects(
      runKeytar([{ op: 'set', service, account: 'c', password: 'y' }], { env: kr.env }),
      (err: Error & { kind?: string }) => err.kind === 'refused' && /locked collection/.test(err.message),
    );
    assert.equal(utility.forks.length, forks + 1);
  });
});

describe("desktop app as kubectl's exec plugin (<app> --kubejoin-cli credential)", { skip }, () => {
  it('valid: kubectl authenticates through dist/main/main.cjs in CLI mode, the entry read over D-Bus (keytar, if needed, only in its utilityProcess)', async (t) => {
    const kr = await privateKeyring(t);
    const dir = await workdir(t);
    const node = uniqueName('desktop-cli');
    const token = await cluster.signedToken();
    const joined = await kubejoinRun(keychainJoinArgs(cluster, await writeTokenFile(dir, token), node, dir), { env: kr.env });
    assert.equal(joined.code, 0, joined.stderr);
    // What the packaged app writes on macOS and Windows: its executable, then --kubejoin-cli
    // (main/credential-command.ts). The "executable" here is Node running main.cjs.
    const app = join(dir, 'kubejoin-desktop');
    await writeFile(app, `#!/bin/sh\nexec "${process.execPath}" --require "${ELECTRON_MODULE}" "${MAIN}" "$@"\n`);
    await chmod(app, 0o755);
    const kc = join(dir, 'kc.conf');
    const config = parse(await readFile(kc, 'utf8')) as { users: { user: { exec: { command: string; args: string[] } } }[] };
    const exec = config.users[0]!.user.exec;
    exec.command = app;
    exec.args = ['--kubejoin-cli', ...exec.args.slice(exec.args.indexOf('credential'))];
    await writeFile(kc, stringify(config), { mode: 0o600 });
    const forkLog = join(dir, 'forks.jsonl');
    const who = await run('kubectl', ['--kubeconfig', kc, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
      env: { ...kr.env, KUBEJOIN_TEST_FORK_LOG: forkLog },
    });
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout, `system:node:${node}`);
    // The unlocked entry is read over D-Bus without native code (agent/store/secret-service.ts);
    // keytar, when it is needed at all, runs only in the utilityProcess helper.
    const forks = (await readFile(forkLog, 'utf8').catch(() => ''))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { modulePath: string; serviceName: string });
    assert.ok(
      forks.every((f) => f.modulePath === HELPER && f.serviceName === 'kubejoin keychain'),
      JSON.stringify(forks),
    );
  });

  it('invalid: a frozen keyring: kubectl gets a clear message from the app within the bound', async (t) => {
    const kr = await privateKeyring(t);
    kr.freeze();
    const r = await run(
      process.execPath,
      ['--require', ELECTRON_MODULE, MAIN, '--kubejoin-cli', 'credential', '--server', cluster.server, '--node-name', 'n1'],
      {
        env: { ...kr.env, KUBEJOIN_KEYCHAIN_TIMEOUT: '1500ms' },
        timeoutMs: 20_000,
      },
    );
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /cannot read the credential of node "n1" in the keychain: the keychain did not answer within 1\.5 s/);
    kr.thaw();
  });

  it("invalid: an unknown command is the CLI's usage error (exit 2), with no window", async () => {
    const r = await run(process.execPath, ['--require', ELECTRON_MODULE, MAIN, '--kubejoin-cli', 'nope'], { env: process.env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "nope"/);
  });
});

describe('desktop app: a join on a locked keyring (the real engine in main, keytar in a utilityProcess)', { skip }, () => {
  /** The window's join, as the kiosk starts it, on a keyring of the test's own; the result. */
  async function appJoin(t: TestContext, store: 'keychain' | 'auto'): Promise<{ result: JoinResult; dir: string; forked: number }> {
    const kr = await privateKeyring(t);
    await kr.lock();
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const forks = utility.forks.length;
    const engine = {
      getDeviceFacts,
      parseJoinCommand,
      setKeychainHelperLauncher,
      join: ((request, options) => engineJoin(request, { ...options, env: kr.env })) as typeof engineJoin,
    };
    const { app } = await startTestApp(
      {
        keychainLauncher: () => utilityProcessLauncher(utility, HELPER),
        joinDefaults: { certDir: join(dir, 'pki'), kubeconfigOut: join(dir, 'kubelet.conf') },
      },
      // The real engine, where main's unit tests put a scripted one.
      engine as unknown as Parameters<typeof startTestApp>[1],
    );
    t.after(() => {
      stopTestApps();
      setKeychainHelperLauncher(undefined);
    });
    app.session.start({ endpoint: cluster.endpoint, token, caCertHashes: [cluster.caCertHash], nodeName: uniqueName(`app-${store}`), store });
    await app.session.settled();
    const last = app.session.snapshot().events.at(-1)!;
    assert.equal(last.type, 'result');
    return { result: (last as { result: JoinResult }).result, dir, forked: utility.forks.length - forks };
  }

  it('invalid: store keychain: the join fails with exit 7 and what to do; the app carries on; nothing written', async (t) => {
    const { result, dir, forked } = await appJoin(t, 'keychain');
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.error.exitCode === 7, JSON.stringify(result));
    assert.match(JSON.stringify(result), /collection is locked/);
    assert.ok(forked >= 1, 'keytar ran in the utility process');
    assert.deepEqual(await filesUnder(dir), []);
  });

  it('valid: store auto: joins with files and says why', async (t) => {
    const { result, dir, forked } = await appJoin(t, 'auto');
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.store.kind, 'file');
    assert.match(result.store.reason, /^auto: the keychain's collection is locked/);
    assert.ok(forked >= 1, 'keytar ran in the utility process');
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', 'pki/kubelet-client-current.pem']);
  });
});
