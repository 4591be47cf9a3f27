import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runKeytar } from '../../agent/store/keytar-child.js';
import { keytarAttributes, readUnlockedSecret, SecretServiceTimeout } from '../../agent/store/secret-service.js';
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
});
