// Running a command once and measuring it: wall time (measured here, around spawn to exit)
// and, in separate runs, peak RSS from GNU time's %M (the kernel's ru_maxrss of the child).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Wall-clock bounds (ms since the epoch), to match the apiserver's audit log. */
  startedAt: number;
  endedAt: number;
}

export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'exit' is when the process ended (what a user waits for); the pipes may close later.
    let wallMs = 0;
    let endedAt = 0;
    child.on('exit', () => {
      wallMs = performance.now() - t0;
      endedAt = Date.now();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, wallMs, startedAt, endedAt });
    });
  });
}

export const hasGnuTime = (): boolean => existsSync(GNU_TIME);

/** Runs the command under GNU time; returns the run and the child's peak RSS in KiB. */
export async function runWithPeakRss(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran & { peakRssKiB: number | null }> {
  if (!hasGnuTime()) return { ...(await run(cmd, args, opts)), peakRssKiB: null };
  const dir = await mkdtemp(join(tmpdir(), 'kubejoin-bench-time-'));
  try {
    const out = join(dir, 'rss');
    const ran = await run(GNU_TIME, ['-f', '%M', '-o', out, cmd, ...args], opts);
    const kib = Number.parseInt((await readFile(out, 'utf8')).trim().split('\n').at(-1) ?? '', 10);
    return { ...ran, peakRssKiB: Number.isFinite(kib) ? kib : null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `env` for the npm CLI with its compile cache in `cacheHome` (XDG_CACHE_HOME: the CLI keeps it in
 * <cacheHome>/kubejoin/compile-cache, agent/cli/compile-cache.ts): a fresh directory is a first
 * run, a reused one a warm cache. Node's own cache variables are dropped, so that the cache
 * measured is the one the CLI chooses.
 */
export function compileCacheEnv(env: NodeJS.ProcessEnv, cacheHome: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, XDG_CACHE_HOME: cacheHome };
  for (const k of ['NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'KUBEJOIN_NO_COMPILE_CACHE']) delete out[k];
  return out;
}

/** How many files the CLI's compile cache under `cacheHome` holds (0: none written). */
export function compileCacheFiles(cacheHome: string): number {
  const dir = join(cacheHome, 'kubejoin', 'compile-cache');
  return existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0;
}

/** The last line of stdout that parses as JSON (the CLI's result event, refjoin's summary). */
export function lastJson<T>(stdout: string): T | undefined {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]!) as T;
    } catch {
      // not JSON: keep looking
    }
  }
  return undefined;
}
