// The one duration rule every flag and file uses (agent/protocol/duration.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkDuration, parseDuration, type DurationRule } from '../../../agent/protocol/duration.js';

describe('Go durations', () => {
  for (const [text, ms] of [
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['300ms', 300],
    ['2m0s', 120_000],
    ['0', 0],
    ['1.5s', 1500],
  ] as const) {
    it(`valid: ${text}`, () => assert.equal(parseDuration(text), ms));
  }
  for (const text of ['', '5', 'm5', '5 m', '-5m', '5d']) it(`invalid: ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), undefined));
});

describe('checkDuration', () => {
  const cases: [string, DurationRule, number | RegExp][] = [
    ['15s', {}, 15_000],
    ['596h', {}, 596 * 3_600_000],
    ['600h', {}, /^is longer than a timer can hold: use at most 596h/],
    ['1500us', {}, /^is finer than the 1 ms/],
    ['-1s', {}, /^is negative: use e\.g\. 30s/],
    ['abc', {}, /^is not a duration: use e\.g\. 30s, 5m or 1h30m$/],
    ['0', {}, /^must be longer than 0/],
    ['0', { allowZero: true }, 0],
    ['abc', { allowZero: true }, /or 0 for no limit$/],
    ['30', { bareSeconds: true }, 30_000],
    ['30', {}, /^is not a duration/],
    ['8760h', { notATimer: true }, 8760 * 3_600_000],
    ['-1s', { notATimer: true, allowZero: true }, /^is negative/],
  ];
  for (const [text, rule, want] of cases) {
    it(`${typeof want === 'number' ? 'valid' : 'invalid'}: ${text} with ${JSON.stringify(rule)}`, () => {
      const got = checkDuration(text, rule);
      if (typeof want === 'number') assert.deepEqual(got, { ms: want });
      else assert.match(got.problem ?? '', want);
    });
  }
});
