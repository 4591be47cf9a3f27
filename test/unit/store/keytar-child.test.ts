// The caller's side of the keychain helper (agent/store/keytar-child.ts), with launchers of
// our own standing in for the process: bounds, cancel, crashes and replacement. The real
// helpers (node -e, the executable, a utilityProcess) are tested against gnome-keyring in
// test/integration/ (keychain-*, packages-keychain, desktop-keychain).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { runKeytar, setKeychainHelperLauncher, type HelperEvents, type KeychainHelperLauncher } from '../../../agent/store/keytar-child.js';
import type { HelperRequest } from '../../../agent/store/keytar-serve.js';

interface Scripted {
  launcher: KeychainHelperLauncher;
  started: number;
  killed: number;
  sent: HelperRequest[];
  events(): HelperEvents;
}

/** A helper that records what it is sent and answers only when the test says so. */
function scripted(): Scripted {
  let events: HelperEvents | undefined;
  const s: Scripted = {
    started: 0,
    killed: 0,
    sent: [],
    events: () => events!,
    launcher: (e) => {
      events = e;
      s.started++;
      return { send: (req) => s.sent.push(req), kill: () => void s.killed++ };
    },
  };
  return s;
}

const get = [{ op: 'get' as const, service: 'kubejoin', account: 'a' }];
const rejectsWith = (kind: string, message: RegExp) => (err: Error & { kind?: string }) => err.kind === kind && message.test(err.message);

describe('runKeytar over a launcher', () => {
  afterEach(() => setKeychainHelperLauncher(undefined));

  it('valid: answers in order; one helper serves every call', async () => {
    const s = scripted();
    setKeychainHelperLauncher(s.launcher);
    const first = runKeytar(get, { env: {} });
    const second = runKeytar([{ op: 'find', service: 'kubejoin' }], { env: {} });
    s.events().reply({ id: s.sent[1]!.id, ok: [['a@https://x#credential']] });
    s.events().reply({ id: s.sent[0]!.id, ok: ['secret'] });
    assert.deepEqual(await first, ['secret']);
    assert.deepEqual(await second, [['a@https://x#credential']]);
    assert.equal(s.started, 1);
  });

  it('invalid: no answer within KUBEJOIN_KEYCHAIN_TIMEOUT: timeout, the helper is killed, the next call starts another', async () => {
    const s = scripted();
    setKeychainHelperLauncher(s.launcher);
    await assert.rejects(runKeytar(get, { env: { KUBEJOIN_KEYCHAIN_TIMEOUT: '50ms' } }), rejectsWith('timeout', /did not answer within 0\.05 s/));
    assert.equal(s.killed, 1);
    const next = runKeytar(get, { env: {} });
    assert.equal(s.started, 2);
    s.events().reply({ id: s.sent.at(-1)!.id, ok: [null] });
    assert.deepEqual(await next, [null]);
  });

  it('invalid: the join is cancelled: the call fails at once and the helper is killed', async () => {
    const s = scripted();
    setKeychainHelperLauncher(s.launcher);
    const controller = new AbortController();
    const call = runKeytar(get, { env: {}, signal: controller.signal });
    controller.abort();
    await assert.rejects(call, rejectsWith('cancelled', /cancelled/));
    assert.equal(s.killed, 1);
  });

  it('invalid: the helper dies of a signal: "crashed", with what libsecret does on a locked collection', async () => {
    const s = scripted();
    setKeychainHelperLauncher(s.launcher);
    const call = runKeytar(get, { env: {} });
    s.events().exit(null, 'SIGSEGV', '(process:1): libsecret-CRITICAL **: secret_value_get_text: assertion failed\n');
    await assert.rejects(call, rejectsWith('crashed', /^the keychain helper crashed \(SIGSEGV\); libsecret does this on a locked collection/));
  });

  it('invalid: the helper cannot load keytar: "unavailable", with its own line', async () => {
    const s = scripted();
    setKeychainHelperLauncher(s.launcher);
    const call = runKeytar(get, { env: {} });
    s.events().exit(1, null, 'kubejoin keychain helper: this kubejoin executable (linux-x64) has no keytar addon: none at /x/keytar.node\n');
    await assert.rejects(call, rejectsWith('unavailable', /failed \(exit 1\): kubejoin keychain helper: .* has no keytar addon/));
  });

  it('invalid: a refusal from keytar is "refused", in its words', async () => {
    const s = scripted();
    setKeychainHelperLauncher(s.launcher);
    const call = runKeytar(get, { env: {} });
    s.events().reply({ id: s.sent[0]!.id, error: 'Cannot create an item in a locked collection' });
    await assert.rejects(call, rejectsWith('refused', /^Cannot create an item in a locked collection$/));
  });

  it('invalid: a launcher that throws (utilityProcess before ready): "unavailable"', async () => {
    setKeychainHelperLauncher(() => {
      throw new Error('utilityProcess cannot be used before app is ready');
    });
    await assert.rejects(
      runKeytar(get, { env: {} }),
      rejectsWith('unavailable', /the keychain helper cannot start: utilityProcess cannot be used before app is ready/),
    );
  });

  it('valid: installing another launcher ends the running helper; waiting calls fail, the next uses the new one', async () => {
    const a = scripted();
    const b = scripted();
    setKeychainHelperLauncher(a.launcher);
    const waiting = runKeytar(get, { env: {} });
    setKeychainHelperLauncher(b.launcher);
    await assert.rejects(waiting, rejectsWith('cancelled', /replaced/));
    assert.equal(a.killed, 1);
    const next = runKeytar(get, { env: {} });
    b.events().reply({ id: b.sent[0]!.id, ok: ['s'] });
    assert.deepEqual(await next, ['s']);
  });
});
