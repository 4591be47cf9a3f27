// The run lock (docs/stores.md §8) on a real file system: one holder at a time, a bounded
// wait that ends in words, a dead holder's lock taken over, released however the run ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lstat, lutimes, mkdir, mkdtemp, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { KubejoinError } from '../../../agent/errors.js';
import { acquireRunLock, acquireRunLocks, LOCK_FILE, withRunLocks } from '../../../agent/store/lock.js';

async function dir(t: TestContext): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kj-lock-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

const linux = process.platform === 'linux';
const boot = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 8);
const startOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};

/** The pid of a process that has ended (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

async function busy(p: Promise<unknown>, pid: number, d: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KubejoinError, String(err));
    assert.equal(err.category, 'store-failed');
    assert.match(err.message, new RegExp(`^another kubejoin is running \\(pid ${pid}\\) on ${d}; waited [\\d.]+ s for it$`));
    return true;
  });
}

const lockOf = (d: string): string => join(d, LOCK_FILE);

describe('run lock', () => {
  it('valid: held as a link naming this process; released, it is gone', async (t) => {
    const d = await dir(t);
    const release = await acquireRunLock(d);
    assert.match(await readlink(lockOf(d)), new RegExp(`^kubejoin:${process.pid}:\\d*:[0-9a-f]*:[0-9a-f]+$`));
    await release();
    assert.deepEqual(await readdir(d), []);
  });

  it('invalid: held by a live run: waits its bound, then says who holds it; the holder keeps it', async (t) => {
    const d = await dir(t);
    const holder = await acquireRunLock(d);
    const held = await readlink(lockOf(d));
    const t0 = Date.now();
    await busy(acquireRunLock(d, { waitMs: 400 }), process.pid, d);
    const waited = Date.now() - t0;
    assert.ok(waited >= 400 && waited < 1400, `waited ${waited} ms for a 400 ms bound`);
    assert.equal(await readlink(lockOf(d)), held);
    await holder();
  });

  it('valid: a waiter gets the lock once the holder releases it', async (t) => {
    const d = await dir(t);
    const holder = await acquireRunLock(d);
    const said: string[] = [];
    const waiter = acquireRunLock(d, { waitMs: 5000, onWait: (m) => said.push(m) });
    setTimeout(() => void holder(), 200);
    const release = await waiter;
    assert.deepEqual(said, [`waiting for another kubejoin (pid ${process.pid}) to finish on ${d}`], 'said once');
    assert.match(await readlink(lockOf(d)), new RegExp(`^kubejoin:${process.pid}:`));
    await release();
  });

  it('valid: the lock of a process that is gone is taken over at once', async (t) => {
    const d = await dir(t);
    const pid = await deadPid();
    await symlink(`kubejoin:${pid}:${linux ? startOf(process.pid) : ''}:${linux ? boot() : ''}:0bad`, lockOf(d));
    const release = await acquireRunLock(d, { waitMs: 0 });
    assert.match(await readlink(lockOf(d)), new RegExp(`^kubejoin:${process.pid}:`));
    await release();
    assert.deepEqual(await readdir(d), [], 'nothing of the dead lock is left');
  });

  it('valid: a reused pid (another start time) or a lock from before a reboot is taken over', { skip: linux ? false : '/proc: Linux only' }, async (t) => {
    const d = await dir(t);
    for (const raw of [`kubejoin:${process.pid}:1:${boot()}:0bad`, `kubejoin:${process.pid}:${startOf(process.pid)}:00000000:0bad`]) {
      await symlink(raw, lockOf(d));
      const release = await acquireRunLock(d, { waitMs: 0 });
      assert.notEqual(await readlink(lockOf(d)), raw);
      await release();
    }
  });

  it('valid: a lock that is not ours counts while fresh, and is taken over once old', async (t) => {
    const d = await dir(t);
    await symlink('something else', lockOf(d));
    await assert.rejects(acquireRunLock(d, { waitMs: 0 }), /another kubejoin is running on /);
    const old = new Date(Date.now() - 60_000);
    await lutimes(lockOf(d), old, old);
    await (
      await acquireRunLock(d, { waitMs: 0 })
    )();
  });

  it('valid: released when the work throws', async (t) => {
    const d = await dir(t);
    await assert.rejects(
      withRunLocks([d, join(d, 'sub')], { create: true }, async () => {
        assert.ok((await lstat(lockOf(d))).isSymbolicLink());
        assert.ok((await lstat(lockOf(join(d, 'sub')))).isSymbolicLink());
        throw new Error('work failed');
      }),
      /work failed/,
    );
    assert.deepEqual(await readdir(d), ['sub']);
    assert.deepEqual(await readdir(join(d, 'sub')), []);
  });

  it('invalid: one of several directories busy: the ones already held are released', async (t) => {
    const d = await dir(t);
    await mkdir(join(d, 'pki'));
    const holder = await acquireRunLock(join(d, 'pki'));
    await busy(acquireRunLocks([join(d, 'pki'), d], { waitMs: 100 }), process.pid, join(d, 'pki'));
    await assert.rejects(lstat(lockOf(d)), { code: 'ENOENT' });
    await holder();
  });

  it('invalid: cancelled while waiting: ends at once, the holder keeps its lock', async (t) => {
    const d = await dir(t);
    const holder = await acquireRunLock(d);
    const held = await readlink(lockOf(d));
    const cancel = new AbortController();
    const waiting = acquireRunLock(d, { waitMs: 60_000, signal: cancel.signal });
    setTimeout(() => cancel.abort(), 100);
    await assert.rejects(waiting, (err: unknown) => err instanceof KubejoinError && /cancelled while waiting/.test(err.message));
    assert.equal(await readlink(lockOf(d)), held);
    await holder();
  });

  it('valid: a release never removes a lock another run holds now', async (t) => {
    const d = await dir(t);
    const release = await acquireRunLock(d);
    await rm(lockOf(d));
    await symlink(`kubejoin:${process.pid}:0:0:beef`, lockOf(d));
    await release();
    assert.equal(await readlink(lockOf(d)), `kubejoin:${process.pid}:0:0:beef`);
  });

  it('valid: without create, a missing directory needs no lock and is not made', async (t) => {
    const d = await dir(t);
    await (
      await acquireRunLock(join(d, 'absent'))
    )();
    assert.deepEqual(await readdir(d), []);
  });
});
