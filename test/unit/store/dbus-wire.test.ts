import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { message, messages } from '../../../agent/store/dbus-wire.js';

// agent/store/dbus-wire.ts: several messages in one buffer, as the bus sends them in one read:
// each is found whole, with its own header fields and its own body; a partial one waits.

const call = (serial: number, account: string): Buffer =>
  message(serial, {
    dest: 'org.freedesktop.secrets',
    path: '/org/freedesktop/secrets',
    iface: 'org.freedesktop.Secret.Service',
    member: 'SearchItems',
    sig: 'a{ss}',
    body: (w) =>
      w.array(8, () => {
        w.align(8);
        w.s('account');
        w.s(account);
      }),
  });

describe('D-Bus messages split from one buffer', () => {
  it('valid: two whole messages and a partial third: two found, each with its own fields and body', () => {
    const first = call(7, 'a');
    const second = call(8, 'a much longer account name than the first');
    const third = call(9, 'c');
    const { found, used } = messages(Buffer.concat([first, second, third.subarray(0, third.length - 1)]));
    assert.equal(used, first.length + second.length);
    assert.deepEqual(
      found.map((m) => [m.type, m.serial, m.fields.get(3), m.fields.get(8)]),
      [
        [1, 7, 'SearchItems', 'a{ss}'],
        [1, 8, 'SearchItems', 'a{ss}'],
      ],
    );
    assert.deepEqual(found[0]!.body(), [new Map([['account', 'a']])]);
    assert.deepEqual(found[1]!.body(), [new Map([['account', 'a much longer account name than the first']])]);
  });
});
