// Helpers for tests that run the built CLI as a user would.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.mjs');

/** Builds dist/ once if a single test file is run without `npm test`. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(CLI)) return;
  await run(process.execPath, [join(ROOT, 'build/bundle.mjs')], {});
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Environment for the CLI: no inherited token, a private keychain service name. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  if (!('KUBEJOIN_TOKEN' in extra)) delete env.KUBEJOIN_TOKEN;
  return env;
}

export function kubejoin(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return run(process.execPath, [CLI, ...args], { ...opts, env: opts.env ?? cliEnv() });
}

export function spawnKubejoin(args: string[], env: NodeJS.ProcessEnv = cliEnv()): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A temporary directory removed after the test. */
export async function workdir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubejoin-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir` (relative paths), empty if it does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  if (!(await stat(dir).then(() => true, () => false))) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? (entry as { path?: string }).path ?? '', entry.name).slice(dir.length + 1));
  }
  return out.sort();
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** The secret half of a token must never appear in anything the CLI printed. */
export function assertNoSecret(r: Run, token: string): void {
  const secret = token.split('.')[1] ?? token;
  assert.ok(!r.stdout.includes(secret), 'token secret leaked to stdout');
  assert.ok(!r.stderr.includes(secret), 'token secret leaked to stderr');
}

/** Flags for a file-store join into `dir`. */
export function fileStoreFlags(dir: string): string[] {
  return ['--store', 'file', '--cert-dir', join(dir, 'pki'), '--kubeconfig-out', join(dir, 'kubelet.conf')];
}
