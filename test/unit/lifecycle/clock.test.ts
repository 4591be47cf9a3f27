// The agent's clock: the real one, and the test-only scaled one (KUBEJOIN_TEST_CLOCK_SCALE).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clockFromEnv, scaledClock, systemClock } from '../../../agent/lifecycle/clock.js';

describe('clock', () => {
  it('KUBEJOIN_TEST_CLOCK_SCALE=100: a 20 s wait ends within 1 s; now() stays real', async () => {
    const clock = clockFromEnv({ KUBEJOIN_TEST_CLOCK_SCALE: '100' });
    assert.notEqual(clock, systemClock);
    const t0 = Date.now();
    assert.ok(Math.abs(clock.now() - t0) < 50);
    await clock.sleepUntil(t0 + 20_000);
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  });

  it('without the variable (or with 1) it is the real clock; a bad value is refused', () => {
    assert.equal(clockFromEnv({}), systemClock);
    assert.equal(clockFromEnv({ KUBEJOIN_TEST_CLOCK_SCALE: '1' }), systemClock);
    assert.throws(() => clockFromEnv({ KUBEJOIN_TEST_CLOCK_SCALE: 'fast' }), /must be a number > 0/);
    assert.throws(() => clockFromEnv({ KUBEJOIN_TEST_CLOCK_SCALE: '-2' }), /must be a number > 0/);
  });

  it('an abort ends a wait at once with the signal reason', async () => {
    for (const clock of [systemClock, scaledClock(2)]) {
      const controller = new AbortController();
      const waiting = clock.sleepUntil(Date.now() + 3_600_000, controller.signal);
      const reason = new Error('stop');
      setTimeout(() => controller.abort(reason), 10);
      await assert.rejects(waiting, (err) => err === reason);
    }
  });

  it('a deadline in the past returns at once', async () => {
    const t0 = Date.now();
    await systemClock.sleepUntil(t0 - 1000);
    assert.ok(Date.now() - t0 < 50);
  });
});
