// Runs the built CLI as a user would and measures it: exit code, output, wall time and
// peak RSS (GNU time's %M, the child's ru_maxrss), beside a bare `node -e 0`.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, cliEnv, type Run } from '../../helpers/cli.js';

export interface Measured extends Run {
  /** From the CLI's first output (its modules loaded, the join begun) to its exit. */
  elapsedMs: number;
  /** From spawn to exit (includes Node's own start, which a loaded machine stretches). */
  wallMs: number;
  /** Peak resident set size in KiB. */
  maxRssKiB: number;
}

let seq = 0;

function timed(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Measured> {
  const out = join(tmpdir(), `kubejoin-rss-${process.pid}-${seq++}`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let first: number | undefined;
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', out, process.execPath, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const mark = (): void => void (first ??= performance.now());
    child.stdout.on('data', (d: Buffer) => (mark(), (stdout += d.toString())));
    child.stderr.on('data', (d: Buffer) => (mark(), (stderr += d.toString())));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const ended = performance.now();
      void readFile(out, 'utf8').then(async (text) => {
        await rm(out, { force: true });
        resolve({
          code: code ?? -1,
          stdout,
          stderr,
          elapsedMs: ended - (first ?? started),
          wallMs: ended - started,
          maxRssKiB: Number(text.trim().split('\n').pop()),
        });
      }, reject);
    });
    child.stdin.end(input ?? '');
  });
}

/** `kubejoin <args>` under GNU time. */
export function measuredKubejoin(args: string[], env: NodeJS.ProcessEnv = cliEnv(), input?: string): Promise<Measured> {
  return timed([CLI, ...args], env, input);
}

let bare: number | undefined;
/** Peak RSS of a bare `node -e 0` on this machine now (KiB; the best of three). */
export async function bareNodeRssKiB(): Promise<number> {
  if (bare === undefined) {
    const runs = [await timed(['-e', '0'], process.env), await timed(['-e', '0'], process.env), await timed(['-e', '0'], process.env)];
    bare = Math.min(...runs.map((r) => r.maxRssKiB));
  }
  return bare;
}

/** The bounds every hostile case must keep: ends within T + 1 s, memory below 1.6x bare node. */
export async function assertBounded(r: Measured, discoveryTimeoutMs: number): Promise<void> {
  const limit = discoveryTimeoutMs + 1000;
  assert.ok(
    r.elapsedMs <= limit,
    `ended ${Math.round(r.elapsedMs)} ms after it began (${Math.round(r.wallMs)} ms after spawn), more than T + 1 s = ${limit} ms`,
  );
  const base = await bareNodeRssKiB();
  assert.ok(r.maxRssKiB < 1.6 * base, `peak RSS ${r.maxRssKiB} KiB is not below 1.6x a bare node (${base} KiB)`);
}
