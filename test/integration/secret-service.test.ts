import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runKeytar } from '../../agent/store/keytar-child.js';
import { busSocketPath, keytarAttributes, lockedEntry, readUnlockedSecret, SecretServiceTimeout } from '../../agent/store/secret-service.js';
import { busRelay, type Event } from './bus-relay.js';
import { ROOT } from '../helpers/paths.js';
import { privateKeyring } from './private-keyring.js';

// docs/stores.md §2: `kubejoin credential` reads its entry from the Secret Service over D-Bus,
// without keytar. A real gnome-keyring of the test's own: what keytar wrote is read back; a
// missing or locked entry is "no answer" (the caller then asks keytar); a frozen daemon is the
// keychain's timeout, within the bound.

const haveKeyring = ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus'].every((c) => ['/usr/bin', '/bin'].some((d) => existsSync(join(d, c))));

describe('Secret Service read over D-Bus (a real gnome-keyring)', { skip: haveKeyring ? false : 'needs dbus-daemon, gnome-keyring-daemon and gdbus' }, () => {
  it('reads what keytar wrote; missing or locked: undefined; frozen: the timeout, within the bound', async (t) => {
    const kr = await privateKeyring(t);
    const secret = `-----BEGIN CERTIFICATE-----\nü ${'x'.repeat(1500)}\n-----END CERTIFICATE-----\n`;
    await runKeytar(
      [
        { op: 'set', service: 'kj-ss', account: 'n@https://h:6443#credential', password: secret },
        { op: 'set', service: 'kj-ss', account: 'other', password: 'not this one' },
      ],
      { env: kr.env },
    );
    const read = (account: string, timeoutMs = 5000): Promise<string | undefined> => readUnlockedSecret(kr.env, keytarAttributes('kj-ss', account), timeoutMs);
    assert.equal(await read('n@https://h:6443#credential'), secret);
    assert.equal(await read('absent'), undefined);
    assert.equal(await readUnlockedSecret({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }, keytarAttributes('kj-ss', 'other'), 5000), undefined);

    await kr.lock();
    assert.equal(await read('n@https://h:6443#credential'), undefined);

    kr.freeze();
    const started = Date.now();
    await assert.rejects(read('n@https://h:6443#credential', 500), (err: unknown) => {
      assert.ok(err instanceof SecretServiceTimeout && err.kind === 'timeout');
      assert.match(err.message, /the keychain did not answer within 0\.5 s/);
      return true;
    });
    assert.ok(Date.now() - started < 3000, 'bounded by its timeout');
    kr.thaw();
  });

  it('asks one thing at a time, a session only for an unlocked entry, and leaves no call in flight', async (t) => {
    // gnome-keyring aborts when a client that asked for a session is gone before the session
    // is made (docs/stores.md §2): every call is sent once the one before it is answered.
    const kr = await privateKeyring(t);
    // In a process of its own: this process's keytar helper is bound to the first test's bus.
    execFileSync(process.execPath, ['-e', "require('keytar').setPassword('kj-ss', 'n#credential', 'the secret')"], { env: kr.env, cwd: ROOT });
    const relay = await busRelay(t, busSocketPath(kr.env.DBUS_SESSION_BUS_ADDRESS)!);
    const env = { DBUS_SESSION_BUS_ADDRESS: relay.address };
    const ask = async (run: () => Promise<unknown>, value: unknown, members: string[]): Promise<void> => {
      const before = relay.connections.length;
      assert.equal(await run(), value);
      await new Promise((r) => setTimeout(r, 100)); // the relay sees the hang-up
      const log = relay.connections[before]!;
      const calls = log.filter((e): e is Extract<Event, { kind: 'call' }> => e.kind === 'call');
      assert.deepEqual(
        calls.map((c) => c.member),
        members,
      );
      const answered = (serial: number, upTo: number): boolean => log.slice(0, upTo).some((e) => e.kind === 'reply' && e.to === serial);
      for (const [i, c] of calls.entries()) {
        // Hello and the first Secret Service call go together; every later call waits for the one before.
        if (i >= 2) assert.ok(answered(calls[i - 1]!.serial, log.indexOf(c)), `${c.member} sent before ${calls[i - 1]!.member} was answered`);
      }
      const hangup = log.findIndex((e) => e.kind === 'hangup');
      assert.ok(hangup > 0, 'the reader hung up');
      for (const c of calls) assert.ok(answered(c.serial, hangup), `${c.member} still in flight at the hang-up`);
    };
    await ask(() => readUnlockedSecret(env, keytarAttributes('kj-ss', 'n#credential'), 5000), 'the secret', [
      'Hello',
      'SearchItems',
      'OpenSession',
      'GetSecrets',
    ]);
    await ask(() => readUnlockedSecret(env, keytarAttributes('kj-ss', 'absent'), 5000), undefined, ['Hello', 'SearchItems']);
    await ask(() => lockedEntry(env, keytarAttributes('kj-ss', 'n#credential'), 5000), false, ['Hello', 'SearchItems']);
    await kr.lock();
    await ask(() => lockedEntry(env, keytarAttributes('kj-ss', 'n#credential'), 5000), true, ['Hello', 'SearchItems']);
    await ask(() => readUnlockedSecret(env, keytarAttributes('kj-ss', 'n#credential'), 5000), undefined, ['Hello', 'SearchItems']);
  });
});
