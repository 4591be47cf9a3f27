import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, BACKOFF_CAP_MS, GaveUp, retryAfterMs, retrying, RETRY_AFTER_CAP_MS } from '../../../agent/transport/retry.js';
import { TransportError } from '../../../agent/transport/errors.js';

describe('retries', () => {
  it('valid: backoff doubles from 250 ms with jitter in [half, all] and is capped at 5 s', () => {
    assert.equal(
      backoffMs(2, () => 0),
      125,
    );
    assert.equal(
      backoffMs(2, () => 1),
      250,
    );
    assert.equal(
      backoffMs(4, () => 1),
      1000,
    );
    assert.equal(
      backoffMs(40, () => 1),
      BACKOFF_CAP_MS,
    );
    assert.equal(
      backoffMs(40, () => 0),
      BACKOFF_CAP_MS / 2,
    );
  });

  it('valid: Retry-After in seconds or as a date, capped; garbage is ignored', () => {
    assert.equal(retryAfterMs({ 'retry-after': '2' }), 2000);
    assert.equal(retryAfterMs({ 'retry-after': '86400' }), RETRY_AFTER_CAP_MS);
    assert.equal(retryAfterMs({ 'retry-after': new Date(Date.now() + 3000).toUTCString() }, Date.now()) !== undefined, true);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }), undefined);
    assert.equal(retryAfterMs({}), undefined);
  });

  it('valid: transient failures are retried until done; the waits honour the server', async () => {
    const waits: number[] = [];
    let n = 0;
    const value = await retrying(
      async () => {
        n++;
        if (n === 1) throw new TransportError('connection refused', 'ECONNREFUSED', 'connect');
        if (n === 2) return { done: false, reason: 'HTTP 429', waitMs: 30 };
        return { done: true, value: 'ok' };
      },
      { delayMs: () => 1, onRetry: (_r, _a, w) => waits.push(w) },
    );
    assert.equal(value, 'ok');
    assert.deepEqual(waits, [1, 30]);
  });

  it('invalid: the deadline ends the retries with the last reason; a non-transient error ends them at once', async () => {
    const signal = AbortSignal.timeout(100);
    const err = await retrying(async () => ({ done: false, reason: 'HTTP 503' }), { signal, delayMs: () => 20 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof GaveUp);
    assert.equal(err.reason, 'HTTP 503');
    let calls = 0;
    await assert.rejects(
      retrying(
        async () => {
          calls++;
          throw new TransportError('bad certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'handshake');
        },
        { delayMs: () => 1 },
      ),
      /bad certificate/,
    );
    assert.equal(calls, 1);
  });
});
