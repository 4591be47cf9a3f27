import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { assertNoSecret, ensureBuilt, kubejoin, runProcess, tokenJoinArgs, uniqueName, writeTokenFile, type Run } from '../../helpers/cli.js';
import { PIN, TOKEN } from '../../helpers/fixtures.js';
import { workdir } from '../../helpers/temp.js';
import { joinMachine, type Joined } from '../lifecycle-helpers.js';
import { privateKeyring } from '../private-keyring.js';

// docs/stores.md §2: when the Secret Service cannot be reached, every command that touches the
// keychain says what is wrong and what to do, exit 7, never libsecret's words alone or a stack.
// The faults are real: no DBUS_SESSION_BUS_ADDRESS, an address where no bus listens, a bus of
// our own with no Secret Service on it, and a gnome-keyring whose collection is locked (no
// unlock prompt can be shown here: it is dismissed). A keychain join is made first, in a
// keyring of the test's own; nothing of it is removed by the failing commands.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const haveKeyring = ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus'].every((c) => ['/usr/bin', '/bin'].some((d) => existsSync(join(d, c))));

/** A session bus of our own that offers no service at all (no service files to activate). */
async function busWithoutSecretService(t: TestContext): Promise<string> {
  const dir = await workdir(t);
  const config = join(dir, 'bus.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir=${dir}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n`,
  );
  const bus = await runProcess('dbus-daemon', [`--config-file=${config}`, '--fork', '--print-address=1', '--print-pid=1', '--nopidfile'], {
    timeoutMs: 15_000,
  });
  assert.equal(bus.code, 0, bus.stderr);
  const [address, pid] = bus.stdout.trim().split('\n');
  t.after(() => process.kill(Number(pid), 'SIGTERM'));
  return address!;
}

interface Fault {
  name: string;
  /** The machine's environment changed to make the fault. */
  env(m: Joined, t: TestContext, lock: () => Promise<void>): Promise<NodeJS.ProcessEnv>;
  /** The error line's words after "cannot … in the keychain: " (or the join's "--store keychain was requested but "). */
  problem: RegExp;
  /** What to do, after the join's store choice. */
  remedy: RegExp;
}

const FAULTS: Fault[] = [
  {
    name: 'no D-Bus session (DBUS_SESSION_BUS_ADDRESS unset)',
    env: async (m) => {
      const env = { ...m.env };
      delete env.DBUS_SESSION_BUS_ADDRESS;
      delete env.DISPLAY;
      return env;
    },
    problem: /^no D-Bus session bus is reachable for the Secret Service: DBUS_SESSION_BUS_ADDRESS is not set \(.+\)$/,
    remedy:
      /^Run it inside the desktop session that holds the keyring .*dbus-run-session -- sh -c 'gnome-keyring-daemon --unlock --components=secrets; kubejoin …'/,
  },
  {
    name: 'DBUS_SESSION_BUS_ADDRESS pointing nowhere',
    env: async (m) => ({ ...m.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${m.dir}/no-bus`, DISPLAY: '' }),
    problem:
      /^no D-Bus session bus is reachable for the Secret Service: nothing answers at DBUS_SESSION_BUS_ADDRESS=unix:path=\S+\/no-bus \(Could not connect: /,
    remedy: /^Run it inside the desktop session that holds the keyring .*dbus-run-session/,
  },
  {
    name: 'no Secret Service on the bus',
    env: async (m, t) => ({ ...m.env, DBUS_SESSION_BUS_ADDRESS: await busWithoutSecretService(t), DISPLAY: '' }),
    problem:
      /^no Secret Service \(gnome-keyring or KWallet\) is running on the D-Bus session bus \(.*org\.freedesktop\.secrets was not provided by any \.service files\)$/,
    remedy: /^Start the keyring in this D-Bus session \(log in to the desktop, or run "gnome-keyring-daemon --start --components=secrets"\)/,
  },
  {
    name: 'the collection locked, its unlock prompt dismissed',
    env: async (m, _t, lock) => (await lock(), m.env),
    problem: /^the keychain's collection is locked/,
    remedy: /^Unlock the keyring/,
  },
];

/** The error line's words after `prefix`, and the hint line under it. */
function reported(r: Run, prefix: RegExp): { problem: string; hint: string } {
  const lines = r.stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('error: '));
  assert.ok(at >= 0, `an error line in:\n${r.stderr}`);
  const m = prefix.exec(lines[at]!.slice('error: '.length));
  assert.ok(m, `"${lines[at]}" starts with ${prefix}`);
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, 'no stack');
  return { problem: lines[at]!.slice('error: '.length + m[0].length), hint: lines[at + 1]!.trim() };
}

const CANNOT = /^cannot (?:read the credential of node "[^"]+"|list the entries) in the keychain: /;

describe('D-Bus errors say what to do', { skip: haveKeyring ? false : 'SKIP: needs dbus-daemon, gnome-keyring-daemon and gdbus' }, () => {
  for (const fault of FAULTS) {
    it(`invalid: ${fault.name}: status, renew, reset, credential and join --store keychain say it, exit 7`, async (t) => {
      const kr = await privateKeyring(t);
      const m = await joinMachine(t, cluster, 'keychain', { ...kr.env, NO_COLOR: '1' }, 'dbus-msg');
      const env = await fault.env(m, t, () => kr.lock());
      const commands: [string, string[]][] = [
        ['status', ['status', '--kubeconfig-out', m.kubeconfig]],
        ['renew', ['renew', '--kubeconfig-out', m.kubeconfig]],
        ['reset', ['reset', '--force', '--kubeconfig-out', m.kubeconfig]],
        ['credential (exec plugin)', ['credential', '--server', cluster.server, '--node-name', m.node]],
        ['credential (store flags)', ['credential', '--kubeconfig', m.kubeconfig]],
      ];
      for (const [name, args] of commands) {
        const r = await kubejoin(args, { env });
        assert.equal(r.code, 7, `${name}: ${r.stdout}${r.stderr}`);
        if (name.startsWith('credential')) assert.equal(r.stdout, '', 'kubectl reads no half credential');
        const { problem, hint } = reported(r, CANNOT);
        assert.match(problem, fault.problem, name);
        assert.match(hint, fault.remedy, name);
        assert.doesNotMatch(hint, /--store file/, `${name}: the credential is in the keychain; --store file does not reach it`);
        assert.ok(existsSync(m.kubeconfig), `${name}: nothing removed`);
      }
      const dir = await workdir(t);
      const joined = await kubejoin(
        [
          'join',
          '127.0.0.1:1',
          '--token-file',
          await writeTokenFile(dir, TOKEN),
          '--discovery-token-ca-cert-hash',
          PIN,
          '--store',
          'keychain',
          '--kubeconfig-out',
          `${dir}/kc.conf`,
        ],
        { env },
      );
      assert.equal(joined.code, 7, joined.stderr);
      const { problem, hint } = reported(joined, /^--store keychain was requested but /);
      // A join's probe writes an entry: a locked collection refuses that in its own words.
      assert.match(
        problem,
        fault.name.includes('locked') ? /^the keychain's collection is locked \(Cannot create an item in a locked collection\)$/ : fault.problem,
      );
      assert.match(hint, fault.remedy);
      assert.match(hint, /, or use --store file\.$/);
      assert.ok(!existsSync(`${dir}/kc.conf`), 'the join wrote nothing');
    });
  }

  it("valid: --store auto without a session bus joins with files and gives the reason in words, not libsecret's alone", async (t) => {
    const dir = await workdir(t);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.DISPLAY;
    delete env.KUBEJOIN_TOKEN;
    const token = await cluster.signedToken();
    const r = await kubejoin(
      [
        ...tokenJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('auto-nobus')),
        '--cert-dir',
        join(dir, 'pki'),
        '--kubeconfig-out',
        join(dir, 'kubelet.conf'),
      ],
      { env },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /auto: no D-Bus session bus is reachable for the Secret Service: DBUS_SESSION_BUS_ADDRESS is not set \(.+\); using kubelet-compatible files/,
    );
  });
});
