import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keychainCause, keychainProblem, keychainRemedy } from '../../../agent/store/keychain-problem.js';
import { keychainFailure, keychainHint } from '../../../agent/store/keychain-entries.js';
import { KeychainCallError } from '../../../agent/store/keytar-child.js';

// docs/stores.md §2: libsecret's and the helper's words, read as a cause with its remedy. The
// words are the ones this machine's libsecret gives (test/integration/first-hour/keychain-messages.test.ts
// makes each fault for real).

describe('keychain failures: what is wrong and what to do', () => {
  const cases: [string, string, string | undefined, string][] = [
    ['no bus, unset', 'Cannot autolaunch D-Bus without X11 $DISPLAY', undefined, 'no-bus'],
    ['no bus, address', 'Could not connect: No such file or directory', undefined, 'no-bus'],
    ['no bus, refused', 'Could not connect: Connection refused', undefined, 'no-bus'],
    [
      'no Secret Service',
      'GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files',
      undefined,
      'no-service',
    ],
    ['locked, writing', 'Cannot create an item in a locked collection', undefined, 'locked'],
    [
      'locked, libsecret crashed',
      'the keychain helper crashed (SIGSEGV); libsecret does this on a locked collection when no unlock prompt can be shown',
      'crashed',
      'locked',
    ],
    ['no answer', 'the keychain did not answer within 2 s (is it locked, or waiting for an unlock prompt?)', 'timeout', 'timeout'],
    ['something else', 'Unknown error', undefined, 'other'],
  ];
  for (const [name, detail, kind, cause] of cases) {
    it(`valid: ${name} is ${cause}`, () => assert.equal(keychainCause(detail, kind, 'linux'), cause));
  }

  it("valid: the words name the bus address, keep libsecret's words in parentheses, never alone", () => {
    const raw = 'GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files';
    assert.equal(keychainProblem(raw, {}), `no Secret Service (gnome-keyring or KWallet) is running on the D-Bus session bus (${raw})`);
    assert.match(
      keychainProblem('Could not connect: x', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/x' }),
      /nothing answers at DBUS_SESSION_BUS_ADDRESS=unix:path=\/run\/x \(Could not connect: x\)$/,
    );
    assert.match(keychainProblem('Cannot autolaunch D-Bus without X11 $DISPLAY', {}), /DBUS_SESSION_BUS_ADDRESS is not set \(Cannot autolaunch/);
  });

  it('valid: the remedy: dbus-run-session, start or unlock the keyring; --store file only where a join chooses its store', () => {
    assert.match(keychainRemedy('no-bus', true, 'linux'), /dbus-run-session -- .*, or use --store file\.$/);
    assert.doesNotMatch(keychainRemedy('no-bus', false, 'linux'), /--store file/);
    assert.match(keychainRemedy('no-service', false, 'linux'), /^Start the keyring .*, then run it again\.$/);
    assert.match(keychainRemedy('dismissed', false, 'linux'), /accept its unlock prompt/);
    assert.equal(keychainRemedy('locked', true, 'darwin'), 'Unlock the login keychain, or use --store file.');
    assert.match(keychainHint('no D-Bus session bus is reachable for the Secret Service: …'), /dbus-run-session .*--store file/);
  });

  it('valid: a failed call: "cannot <action> in the keychain: <what>", exit 7, with its remedy', () => {
    const err = keychainFailure('read the credential', new KeychainCallError('Cannot create an item in a locked collection', 'refused'), {});
    assert.equal(err.exitCode, 7);
    assert.equal(err.message, "cannot read the credential in the keychain: the keychain's collection is locked (Cannot create an item in a locked collection)");
    assert.match(err.hint!, /^Unlock the keyring/);
  });
});
