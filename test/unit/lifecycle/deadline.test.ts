// The rotation deadline (the kubelet's jittered 70-90 % of the lifetime) and the retry backoff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_BACKOFF, humanDuration, retryDelay, rotationDeadline } from '../../../agent/lifecycle/deadline.js';

const NB = Date.parse('2026-01-01T00:00:00Z');
const NA = NB + 15 * 60_000; // a 600 s certificate, notBefore backdated 5 min

describe('rotationDeadline', () => {
  it('is notBefore + 70 % of the lifetime at r=0 and + 90 % as r approaches 1', () => {
    assert.equal(
      rotationDeadline(NB, NA, () => 0),
      NB + 0.7 * 15 * 60_000,
    );
    assert.equal(
      rotationDeadline(NB, NA, () => 0.5),
      NB + 0.8 * 15 * 60_000,
    );
    assert.ok(rotationDeadline(NB, NA, () => 0.999999) <= NB + 0.9 * 15 * 60_000);
  });

  it('with Math.random: always inside the window, and spread over it', () => {
    const lifetime = NA - NB;
    const points = Array.from({ length: 2000 }, () => (rotationDeadline(NB, NA) - NB) / lifetime);
    assert.ok(points.every((p) => p >= 0.7 && p < 0.9));
    assert.ok(Math.min(...points) < 0.71 && Math.max(...points) > 0.89, 'uses the whole window');
  });
});

describe('retryDelay', () => {
  it('doubles from 2 s, is capped at 5 min, and is jittered by at most 10 %', () => {
    const mid = (): number => 0.5;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => retryDelay(n, DEFAULT_BACKOFF, mid) / 1000),
      [2, 4, 8, 16, 32, 64, 128, 256, 300, 300],
    );
    assert.equal(
      retryDelay(1, DEFAULT_BACKOFF, () => 0),
      1800,
    );
    assert.equal(
      retryDelay(1, DEFAULT_BACKOFF, () => 0.999999),
      2200,
    );
    assert.equal(
      retryDelay(1000, DEFAULT_BACKOFF, () => 0.999999),
      330_000,
      'no overflow far out',
    );
  });
});

describe('humanDuration', () => {
  it('two largest units', () => {
    assert.equal(humanDuration(40_000), '40s');
    assert.equal(humanDuration(12 * 60_000 + 5_000), '12m 5s');
    assert.equal(humanDuration((3 * 86_400 + 4 * 3600 + 7) * 1000), '3d 4h');
    assert.equal(humanDuration(0), '0s');
  });
});

describe('certificateDeadline', () => {
  it('is fixed by the serial number (status and agent agree), inside the window, and differs between serials', async () => {
    const { certificateDeadline, serialJitter } = await import('../../../agent/lifecycle/deadline.js');
    const facts = { notBeforeMs: NB, notAfterMs: NA, serialNumber: '8DE3D5C7475934BD7DF36C25AB205837' };
    assert.equal(certificateDeadline(facts), certificateDeadline({ ...facts }));
    const spread = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const serial = i.toString(16).padStart(32, '0');
      const at = certificateDeadline({ ...facts, serialNumber: serial });
      assert.ok(at >= NB + 0.7 * (NA - NB) && at <= NB + 0.9 * (NA - NB));
      spread.add(Math.floor(serialJitter(serial) * 10));
    }
    assert.equal(spread.size, 10, 'serials spread over the whole window');
  });
});
