// Node's module compile cache for the npm CLI (docs/performance.md, "Node's compile cache";
// docs/architecture.md, "The CLI's compile cache"). V8 runs a cached entry as the code of the
// module it was made from, so a cache is code run as the user: it is only kept in a directory
// that this user (or root) alone can write, and every other case runs without one, silently.
// The CLI's entry (build/bundle.mjs) calls this before it imports anything else; the packaged
// executable has its startup snapshot and never loads this module.
import * as nodeModule from 'node:module';
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the cache would live: `$XDG_CACHE_HOME`, root's `/var/cache`, else `~/.cache`; undefined when none applies. */
export function compileCacheDir(env: Env, uid: number, home: string): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'kubejoin', 'compile-cache');
  if (uid === 0) return '/var/cache/kubejoin/compile-cache';
  return home && isAbsolute(home) ? join(home, '.cache', 'kubejoin', 'compile-cache') : undefined;
}

/**
 * Why `dir` is not a safe place for a cache, or undefined when it is: a real directory (not a
 * link) owned by `uid` with no access for group or others, below directories that only `uid`
 * or root can change (a sticky directory such as /tmp counts: others cannot rename our entry).
 */
export function unsafeReason(dir: string, uid: number): string | undefined {
  // `dir` is a real path (no link in it): what is checked is what the cache uses.
  const own = lstatSync(dir);
  if (!own.isDirectory()) return `${dir} is not a directory`;
  if (own.uid !== uid) return `${dir} is owned by uid ${own.uid}`;
  if ((own.mode & 0o077) !== 0) return `${dir} has mode ${(own.mode & 0o777).toString(8)}`;
  return unsafeAbove(dirname(dir), uid);
}

/** Why `dir` (a real path) or a directory above it can be changed by someone else than `uid` or root. */
function unsafeAbove(dir: string, uid: number): string | undefined {
  for (let up = dir; ; up = dirname(up)) {
    const st = statSync(up);
    if (st.uid !== uid && st.uid !== 0) return `${up} is owned by uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return `${up} is writable by others`;
    if (up === dirname(up)) return undefined;
  }
}

/** The nearest directory of `path` (itself or above) that exists, as a real path. */
function existingAbove(path: string): string {
  for (let up = path; ; up = dirname(up)) {
    try {
      return realpathSync(up);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || up === dirname(up)) throw err;
    }
  }
}

/**
 * The directory the cache may use, created if missing (mode 0700), or why there is none. Nothing
 * is created below a directory that is not safe (root's run does not leave a directory of its own
 * in another user's home).
 */
export function safeCompileCacheDir(env: Env, uid: number, home: string): { dir?: string; reason?: string } {
  if (env.KUBEJOIN_NO_COMPILE_CACHE && env.KUBEJOIN_NO_COMPILE_CACHE !== '0') return { reason: 'KUBEJOIN_NO_COMPILE_CACHE' };
  // Node itself turns the cache off when this is set at all, even empty.
  if (env.NODE_DISABLE_COMPILE_CACHE !== undefined) return { reason: 'NODE_DISABLE_COMPILE_CACHE' };
  const dir = compileCacheDir(env, uid, home);
  if (!dir) return { reason: 'no home directory' };
  try {
    const above = unsafeAbove(existingAbove(dirname(dir)), uid);
    if (above) return { reason: above };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const real = realpathSync(dir);
    const reason = unsafeReason(real, uid);
    return reason ? { reason } : { dir: real };
  } catch (err) {
    return { reason: (err as NodeJS.ErrnoException).code ?? 'cannot create it' };
  }
}

/**
 * Turns the cache on for the modules this process loads from now on, when the runtime has it
 * (Node >= 22.1; Node 20 has none) and a safe directory can be had. Never throws, prints nothing.
 */
export function enableCompileCache(env: Env = process.env): string | undefined {
  const enable = (nodeModule as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (typeof enable !== 'function' || typeof process.getuid !== 'function') return undefined;
  try {
    const { dir } = safeCompileCacheDir(env, process.getuid(), homedir());
    if (dir) enable(dir);
    return dir;
  } catch {
    return undefined;
  }
}
