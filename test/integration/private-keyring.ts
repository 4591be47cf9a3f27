// A D-Bus session and gnome-keyring of the test's own (not run-tests.sh's shared one), so a
// test may lock or freeze it without disturbing other tests. Stopped in t.after.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { runProcess } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';

export interface PrivateKeyring {
  /** Environment pointing at this session bus and keyring. */
  env: NodeJS.ProcessEnv;
  /** Locks the login collection (org.freedesktop.Secret.Service.Lock). */
  lock(): Promise<void>;
  /** SIGSTOPs the keyring daemon: every call to it hangs until thaw(). */
  freeze(): void;
  thaw(): void;
}

async function gdbus(env: NodeJS.ProcessEnv, args: string[]): Promise<string> {
  const r = await runProcess('gdbus', ['call', '--session', ...args], { env, timeoutMs: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

export async function privateKeyring(t: TestContext): Promise<PrivateKeyring> {
  const home = await workdir(t);
  const runtime = join(home, 'run');
  await mkdir(runtime, { mode: 0o700 });
  const bus = await runProcess('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1', '--nopidfile'], { timeoutMs: 15_000 });
  assert.equal(bus.code, 0, bus.stderr);
  const [address, busPid] = bus.stdout.trim().split('\n');
  const stop = (pid: number, signal: NodeJS.Signals): void => {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone (the daemon leaves with its bus)
    }
  };
  t.after(() => stop(Number(busPid), 'SIGTERM'));
  const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address!, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: runtime };
  delete env.GNOME_KEYRING_CONTROL;
  const keyring = await new Promise<number>((resolve, reject) => {
    const child = runProcess('bash', ['-c', "printf 'kubejoin-test\\n' | gnome-keyring-daemon --unlock --components=secrets"], { env, timeoutMs: 15_000 });
    child.then((r) => (r.code === 0 ? resolve(0) : reject(new Error(r.stderr))), reject);
  });
  assert.equal(keyring, 0);
  // The daemon forks and claims its bus name a moment later.
  let pidOut = '';
  for (let i = 0; i < 100 && !pidOut; i++) {
    const r = await runProcess(
      'gdbus',
      [
        'call',
        '--session',
        '--dest',
        'org.freedesktop.DBus',
        '--object-path',
        '/org/freedesktop/DBus',
        '--method',
        'org.freedesktop.DBus.GetConnectionUnixProcessID',
        'org.freedesktop.secrets',
      ],
      { env, timeoutMs: 15_000 },
    );
    if (r.code === 0) pidOut = r.stdout;
    else await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(pidOut, 'gnome-keyring-daemon is on the private bus');
  const daemonPid = Number(/uint32 (\d+)/.exec(pidOut)![1]);
  let frozen = false;
  t.after(() => {
    if (frozen) stop(daemonPid, 'SIGCONT');
    stop(daemonPid, 'SIGTERM');
  });
  return {
    env,
    lock: async () => {
      await gdbus(env, [
        '--dest',
        'org.freedesktop.secrets',
        '--object-path',
        '/org/freedesktop/secrets',
        '--method',
        'org.freedesktop.Secret.Service.Lock',
        "['/org/freedesktop/secrets/collection/login']",
      ]);
      const locked = await gdbus(env, [
        '--dest',
        'org.freedesktop.secrets',
        '--object-path',
        '/org/freedesktop/secrets/collection/login',
        '--method',
        'org.freedesktop.DBus.Properties.Get',
        'org.freedesktop.Secret.Collection',
        'Locked',
      ]);
      assert.match(locked, /true/, 'the login collection is locked');
    },
    freeze: () => {
      process.kill(daemonPid, 'SIGSTOP');
      frozen = true;
    },
    thaw: () => {
      process.kill(daemonPid, 'SIGCONT');
      frozen = false;
    },
  };
}
