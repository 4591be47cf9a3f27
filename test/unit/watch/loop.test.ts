import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { watchUntil, type WatchEnd, type WatchQuery, type WatchSpec } from '../../../agent/watch/loop.js';
import { GaveUp } from '../../../agent/transport/retry.js';

// The one watch loop (agent/watch/loop.ts) with scripted watches and reads: silence is covered by
// reads, a silent watch is replaced, early ends back off, and nothing is left running.

/** A watch that brings nothing and ends only when aborted (a buffering proxy, a hung server). */
const silent = (signal: AbortSignal): Promise<WatchEnd<string>> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));

function spec(over: Partial<WatchSpec<string>>): WatchSpec<string> & { queries: WatchQuery[]; reads: number[]; progress: string[] } {
  const queries: WatchQuery[] = [];
  const reads: number[] = [];
  const progress: string[] = [];
  const open = over.open ?? ((_q, signal) => silent(signal));
  const read = over.read ?? (() => Promise.resolve(undefined));
  return {
    what: 'the watch of x',
    timeoutSeconds: 300,
    idleMs: 40,
    delayMs: () => 5,
    onProgress: (m) => progress.push(m),
    ...over,
    open: (q, signal, heard) => (queries.push(q), open(q, signal, heard)),
    read: (signal) => (reads.push(Date.now()), read(signal)),
    queries,
    reads,
    progress,
  };
}

describe('the watch loop', () => {
  it('valid: a watch silent after its headers: the object is read on silence and the read ends the wait', async () => {
    let aborted = false;
    let n = 0;
    const s = spec({
      open: (_q, signal) => (signal.addEventListener('abort', () => (aborted = true)), silent(signal)),
      read: () => Promise.resolve(++n === 3 ? { value: 'issued' } : undefined),
    });
    assert.equal(await watchUntil(s), 'issued');
    assert.equal(s.reads.length, 3, 'read on every idle period until done');
    assert.equal(s.queries.length, 1, 'the watch was not replaced: it had not passed its timeout');
    assert.deepEqual(s.queries[0], { allowWatchBookmarks: 'true', timeoutSeconds: '300' });
    assert.ok(aborted, 'the open watch was stopped');
  });

  it('valid: events keep the watch proven: no read while they come', async () => {
    const s = spec({
      idleMs: 300,
      open: async (_q, _signal, heard) => {
        for (let i = 0; i < 60; i++) {
          heard();
          await new Promise((r) => setTimeout(r, 10));
        }
        return { kind: 'done', value: 'from the stream' };
      },
    });
    assert.equal(await watchUntil(s), 'from the stream');
    assert.equal(s.reads.length, 0);
  });

  it('valid: a watch silent past its own timeout is replaced, from the version the caller keeps, with backoff', async () => {
    const attempts: number[] = [];
    let opened = 0;
    const s = spec({
      timeoutSeconds: 0,
      graceMs: 30,
      idleMs: 10_000,
      resourceVersion: () => String(10 + opened),
      delayMs: (n) => (attempts.push(n), 5),
      open: (_q, signal) => (++opened === 4 ? Promise.resolve({ kind: 'done', value: 'at last' }) : silent(signal)),
    });
    assert.equal(await watchUntil(s), 'at last');
    assert.deepEqual(
      s.queries.map((q) => q.resourceVersion),
      ['10', '11', '12', '13'],
    );
    assert.deepEqual(attempts, [2, 3, 4], 'each replacement backs off more');
    assert.ok(
      s.progress.some((m) => /the watch of x was silent for 0.03 s, past its own 0 s timeout; watching again/.test(m)),
      s.progress.join('\n'),
    );
  });

  it('valid: watches that end at once are re-opened after a growing backoff, never in a tight loop', async () => {
    const attempts: number[] = [];
    const s = spec({
      idleMs: 10_000,
      delayMs: (n) => (attempts.push(n), 5),
      open: () => Promise.resolve(attempts.length === 5 ? { kind: 'done', value: 'ok' } : { kind: 'ended' }),
    });
    assert.equal(await watchUntil(s), 'ok');
    assert.deepEqual(attempts, [2, 3, 4, 5, 6]);
    assert.ok(s.progress.includes('the watch ended, watching again'));
  });

  it('valid: a 410 reads the object at once, then watches again', async () => {
    const s = spec({
      idleMs: 10_000,
      open: () => Promise.resolve({ kind: 'ended', resync: true }),
      read: () => Promise.resolve({ value: 'read' }),
    });
    assert.equal(await watchUntil(s), 'read');
    assert.equal(s.reads.length, 1);
  });

  it('valid: Retry-After of a transient answer is waited for', async () => {
    let first = 0;
    const s = spec({
      idleMs: 10_000,
      open: () => (first++ === 0 ? Promise.resolve({ kind: 'ended', trouble: 'HTTP 503', waitMs: 200 }) : Promise.resolve({ kind: 'done', value: 'after' })),
    });
    const t0 = Date.now();
    assert.equal(await watchUntil(s), 'after');
    assert.ok(Date.now() - t0 >= 190, 'waited for Retry-After');
    assert.ok(s.progress.includes('HTTP 503; watching again'));
  });

  it('invalid: what open or read throws ends the wait, and the other side is stopped', async () => {
    const refused = new Error('refused');
    await assert.rejects(watchUntil(spec({ open: () => Promise.reject(refused) })), refused);
    let stopped = false;
    await assert.rejects(
      watchUntil(
        spec({ open: (_q, signal) => (signal.addEventListener('abort', () => (stopped = true)), silent(signal)), read: () => Promise.reject(refused) }),
      ),
      refused,
    );
    assert.ok(stopped);
  });

  it('invalid: the deadline ends the wait with GaveUp naming the last trouble; nothing keeps running', async () => {
    let opens = 0;
    const s = spec({
      idleMs: 20,
      signal: AbortSignal.timeout(150),
      open: () => (opens++, Promise.resolve({ kind: 'ended', trouble: 'the watch broke: reset' })),
    });
    await assert.rejects(watchUntil(s), (e: unknown) => e instanceof GaveUp && /the watch broke: reset/.test(e.message));
    const [o, r] = [opens, s.reads.length];
    await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual([opens, s.reads.length], [o, r], 'no watch opened and no read after the end');
  });
});
