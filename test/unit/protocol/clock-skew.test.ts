import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clockError, describeDuration, describeSkew, isSkewed, MAX_SKEW_MS, readServerDate } from '../../../agent/protocol/clock-skew.js';

const SERVER = Date.parse('2026-11-29T23:59:38Z');

test('readServerDate: the skew from an HTTP Date header, with its one-second resolution', () => {
  assert.equal(readServerDate(undefined), undefined);
  assert.equal(readServerDate('not a date'), undefined);
  const same = readServerDate('Sun, 29 Nov 2026 23:59:38 GMT', SERVER + 700)!;
  assert.equal(same.skewMs, 0, 'within the header resolution: no skew');
  const behind = readServerDate('Sun, 29 Nov 2026 23:59:38 GMT', SERVER - 2 * 86_400_000 + 300)!;
  assert.equal(describeDuration(behind.skewMs), '2 days');
  assert.ok(behind.skewMs < 0);
  const ahead = readServerDate('Sun, 29 Nov 2026 23:59:38 GMT', SERVER + 10 * 60_000 + 400)!;
  assert.ok(ahead.skewMs > 0);
  assert.equal(describeDuration(ahead.skewMs), '10 minutes');
});

test('describeDuration: the two largest units, rounded', () => {
  const cases: [number, string][] = [
    [0, '0 seconds'],
    [40_000, '40 seconds'],
    [61_000, '1 minute 1 second'],
    [3_900_000, '1 hour 5 minutes'],
    [172_799_500, '2 days'],
    [-90_061_000, '1 day 1 hour'],
  ];
  for (const [ms, text] of cases) assert.equal(describeDuration(ms), text, String(ms));
});

test('isSkewed: beyond 5 minutes either way', () => {
  const at = (skewMs: number) => ({ deviceAt: SERVER + skewMs, serverAt: SERVER, skewMs });
  assert.equal(isSkewed(undefined), false);
  assert.equal(isSkewed(at(MAX_SKEW_MS)), false);
  assert.equal(isSkewed(at(MAX_SKEW_MS + 1000)), true);
  assert.equal(isSkewed(at(-MAX_SKEW_MS - 1000)), true);
});

test('the clock error says how far, which way, both times and what to do (exit 8)', () => {
  const r = { deviceAt: SERVER - 2 * 86_400_000, serverAt: SERVER, skewMs: -2 * 86_400_000 };
  assert.equal(describeSkew(r), "this device's clock is 2 days behind the API server (device 2026-11-27T23:59:38Z, server 2026-11-29T23:59:38Z)");
  const err = clockError(r, 'the certificate looks not valid yet');
  assert.equal(err.category, 'clock');
  assert.equal(err.exitCode, 8);
  assert.match(err.hint ?? '', /timedatectl set-ntp true/);
});
