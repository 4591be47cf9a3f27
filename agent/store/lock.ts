import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, open, readFile, readlink, rename, symlink, unlink } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubejoinError } from '../errors.js';
import { fileStoreError } from './errno.js';
import { ensureDir, TMP_PREFIX } from './fs-atomic.js';

// One run at a time (docs/stores.md §8). A join, a rotation and a reset each hold a lock on
// every directory they write into, for their whole run: `<dir>/.kubejoin.lock`, a symbolic
// link whose target names the holder (`kubejoin:<pid>:<start>:<boot>:<nonce>`). A link is
// created atomically with its content and needs no data block, so it works on a full disk.
// A lock whose process is gone (killed, rebooted, pid reused) is taken over by the next run.

export const LOCK_FILE = '.kubejoin.lock';
/** How long a run waits for another one by default. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;
/** An unreadable lock (not one we wrote, or a Windows lock file being written) counts after this. */
const UNREADABLE_GRACE_MS = 10_000;
/** Where nothing can be created, nothing can be changed either: no lock is needed there. */
const CANNOT_WRITE = new Set(['EROFS', 'EACCES', 'EPERM']);

export interface LockOptions {
  /** How long to wait for another run (default DEFAULT_LOCK_WAIT_MS). */
  waitMs?: number;
  signal?: AbortSignal;
  /** Create a missing directory (0700); otherwise a missing directory needs no lock. */
  create?: boolean;
  /** Told once when the run has to wait, in words (a progress line). */
  onWait?: (message: string) => void;
}

export type Release = () => Promise<void>;

interface Holder {
  pid: number;
  start: string;
  boot: string;
}

/** /proc/<pid>/stat: the process state and its start time (clock ticks since boot); Linux only. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().slice(0, 8);
  } catch {
    return '';
  }
}

const HOLDER = /^kubejoin:(\d+):(\d*):([0-9a-f]*):[0-9a-f]+$/;

function parse(raw: string): Holder | undefined {
  const m = HOLDER.exec(raw);
  return m ? { pid: Number(m[1]), start: m[2]!, boot: m[3]! } : undefined;
}

/** False when the holder is certainly gone: another boot, no such process, a zombie, a reused pid. */
function alive(h: Holder, lockMtimeMs: number): boolean {
  const boot = bootId();
  if (h.boot && boot) {
    if (h.boot !== boot) return false;
  } else if (lockMtimeMs < Date.now() - os.uptime() * 1000 - 60_000) return false; // written before this boot
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false; // EPERM: alive, another user's
  }
  const proc = procStat(h.pid);
  if (proc && (proc.state === 'Z' || proc.state === 'X' || (h.start !== '' && proc.start !== h.start))) return false;
  return true;
}

/** What a lock says, or undefined when there is none. */
async function readLock(path: string): Promise<{ raw: string; mtimeMs: number } | undefined> {
  try {
    const st = await lstat(path);
    const raw = st.isSymbolicLink() ? await readlink(path) : await readFile(path, 'utf8');
    return { raw, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function createLock(path: string, raw: string): Promise<void> {
  if (process.platform !== 'win32') return symlink(raw, path);
  // Windows: a symlink needs a privilege; a file created exclusively instead.
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(raw);
  } finally {
    await fh.close();
  }
}

/**
 * Removes a dead run's lock. Renaming it aside first means only one of several waiters can
 * take it; one that moved a lock somebody had just taken puts it back.
 */
async function breakStale(path: string, raw: string): Promise<void> {
  const aside = join(resolve(path, '..'), `${TMP_PREFIX}${LOCK_FILE}.stale.${randomBytes(4).toString('hex')}`);
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another waiter took it away
    throw err;
  }
  const moved = await readLock(aside);
  if (moved && moved.raw !== raw) await createLock(path, moved.raw).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

function busy(dir: string, holder: Holder | undefined, waitedMs: number): KubejoinError {
  return new KubejoinError(
    'store-failed',
    `another kubejoin is running${holder ? ` (pid ${holder.pid})` : ''} on ${dir}; waited ${Math.round(waitedMs / 100) / 10} s for it`,
    {
      hint: `Let it finish (a join, a renewal or a reset), then run this again. It holds ${join(dir, LOCK_FILE)}; the lock of a run that died is taken over by the next run.`,
    },
  );
}

function cancelled(dir: string): KubejoinError {
  return new KubejoinError('internal', `cancelled while waiting for another kubejoin to finish on ${dir}`);
}

/** Holds `<dir>/.kubejoin.lock` until the returned function is called. */
export async function acquireRunLock(dir: string, opts: LockOptions = {}): Promise<Release> {
  const noLock: Release = async () => {};
  const path = join(dir, LOCK_FILE);
  const waitMs = opts.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const startedAt = Date.now();
  try {
    if (opts.create) await ensureDir(dir, 0o700);
    else if (!(await lstat(dir)).isDirectory()) return noLock;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT' || CANNOT_WRITE.has(code)) return noLock;
    throw fileStoreError('create', dir, err);
  }
  const own = `kubejoin:${process.pid}:${procStat(process.pid)?.start ?? ''}:${bootId()}:${randomBytes(4).toString('hex')}`;
  const release: Release = async () => {
    // Only our own lock: never one a later run holds.
    if ((await readLock(path).catch(() => undefined))?.raw === own) await unlink(path).catch(() => undefined);
  };
  for (let attempt = 0; ; attempt++) {
    if (opts.signal?.aborted) throw cancelled(dir);
    let created = false;
    try {
      await createLock(path, own);
      created = true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (CANNOT_WRITE.has(code)) return noLock;
      if (code !== 'EEXIST') throw fileStoreError('create the lock', path, err);
    }
    if (created) {
      if (!opts.signal?.aborted) return release;
      await release();
      throw cancelled(dir);
    }
    const seen = await readLock(path).catch((err: unknown) => {
      throw fileStoreError('read the lock', path, err);
    });
    if (!seen) continue; // released meanwhile
    const holder = parse(seen.raw);
    const stale = holder ? !alive(holder, seen.mtimeMs) : seen.mtimeMs < Date.now() - UNREADABLE_GRACE_MS;
    if (stale) {
      await breakStale(path, seen.raw).catch((err: unknown) => {
        throw fileStoreError('take over the lock of a run that died,', path, err);
      });
      continue;
    }
    const left = startedAt + waitMs - Date.now();
    if (left <= 0) throw busy(dir, holder, Date.now() - startedAt);
    if (attempt === 0) opts.onWait?.(`waiting for another kubejoin${holder ? ` (pid ${holder.pid})` : ''} to finish on ${dir}`);
    try {
      await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500, left), undefined, opts.signal ? { signal: opts.signal } : {});
    } catch {
      throw cancelled(dir);
    }
  }
}

/**
 * Locks every directory a run writes into, in one order (sorted), so two runs never wait
 * for each other crosswise. The wait bound is for all of them together.
 */
export async function acquireRunLocks(dirs: readonly string[], opts: LockOptions = {}): Promise<Release> {
  const deadline = Date.now() + (opts.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  const held: Release[] = [];
  const releaseAll: Release = async () => {
    for (const release of held.splice(0).reverse()) await release().catch(() => undefined);
  };
  try {
    for (const dir of [...new Set(dirs.map((d) => resolve(d)))].sort())
      held.push(await acquireRunLock(dir, { ...opts, waitMs: Math.max(0, deadline - Date.now()) }));
  } catch (err) {
    await releaseAll();
    throw err;
  }
  return releaseAll;
}

/** Runs `work` holding the locks of `dirs`; they are released however it ends. */
export async function withRunLocks<T>(dirs: readonly string[], opts: LockOptions, work: () => Promise<T>): Promise<T> {
  const release = await acquireRunLocks(dirs, opts);
  try {
    return await work();
  } finally {
    await release();
  }
}

/**
 * The run lock of a store (file.ts, keychain.ts): `lock()` holds every directory of
 * `lockDirs` (created 0700 if missing) until the returned function is called. A store's
 * start-up recovery and sweep run only while `locked` (docs/stores.md §1, §8).
 */
export abstract class RunLockedStore {
  abstract readonly lockDirs: string[];
  protected locked = false;

  async lock(opts: LockOptions = {}): Promise<Release> {
    const release = await acquireRunLocks(this.lockDirs, { ...opts, create: true });
    this.locked = true;
    return async () => {
      this.locked = false;
      await release();
    };
  }

  /** The internal error of a store used without its run lock (`what`: the store and where). */
  protected unlocked(what: string): KubejoinError | undefined {
    return this.locked ? undefined : new KubejoinError('internal', `${what} was used without its run lock`);
  }
}
