// Runs the built CLI (`node dist/cli.mjs …`) as a user would, in a child process; a run whose
// environment sets a test hook runs the test build instead (cliFor). For the CLI in this
// process (no build, collected streams) see cli-in-process.ts.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLI, ROOT, TEST_CLI } from './paths.js';

export { CLI, ROOT, TEST_CLI };

/** What a CLI run left behind: its exit code and everything it printed. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Builds what is missing when a single test file is run without `npm test` (both, always, with
 * KUBEJOIN_TEST_BUILD=1): dist/ (`npm run build`) and the test build (`--test-hooks`).
 */
export async function ensureBuilt(): Promise<void> {
  for (const [cli, args] of [
    [CLI, []],
    [TEST_CLI, ['--test-hooks']],
  ] as const) {
    if (existsSync(cli) && process.env.KUBEJOIN_TEST_BUILD !== '1') continue;
    const b = await run(process.execPath, [join(ROOT, 'build/bundle.mjs'), ...args], {});
    assert.equal(b.code, 0, `node build/bundle.mjs ${args.join(' ')} failed:\n${b.stdout}${b.stderr}`);
  }
}

/**
 * The test hooks: variables only the test build reads (build/test-hooks.mjs; what ships has
 * none of them, test/unit/build/shipped-hooks.test.ts checks both lists against the sources).
 */
export const TEST_HOOKS = ['KUBEJOIN_TEST_CLOCK_SCALE', 'KUBEJOIN_TEST_KILL_AT', 'KUBEJOIN_TEST_STOP_AT', 'KUBEJOIN_TEST_WATCH_SECONDS'] as const;

/** The CLI for a run with `env`: the test build when it sets a test hook, else the product (dist/). */
export function cliFor(env: NodeJS.ProcessEnv | undefined): string {
  return TEST_HOOKS.some((name) => env?.[name] !== undefined) ? TEST_CLI : CLI;
}

/**
 * The Node runtime the CLI runs on: KUBEJOIN_TEST_NODE (npm test's second pass sets it to the
 * runtime the packaged executable carries: test/tools/run-tests.sh), else this process's.
 */
export const CLI_NODE = process.env.KUBEJOIN_TEST_NODE || process.execPath;

/** How a process ended: its exit code, or the signal that ended it, and everything it printed. */
export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd args` to its end (SIGKILL after `timeoutMs`, default 120 s). stdin gets `input`, or
 * is /dev/null when there is none (a child that exits early must not EPIPE us).
 */
export function runProcess(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined).end(opts.input);
  });
}

/** runProcess, with a signal's end as code -1. */
export async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  const { code, stdout, stderr } = await runProcess(cmd, args, opts);
  return { code: code ?? -1, stdout, stderr };
}

/** Environment for the CLI: no inherited token, a private keychain service name. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  if (!('KUBEJOIN_TOKEN' in extra)) delete env.KUBEJOIN_TOKEN;
  return env;
}

/** `kubejoin <args>` with the built CLI in a child process (the test build when `env` sets a test hook). */
export function kubejoin(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Run> {
  const env = opts.env ?? cliEnv();
  return run(CLI_NODE, [cliFor(env), ...args], { ...opts, env });
}

/** `kubejoin <args>` started in a child process (the test build when `env` sets a test hook). */
export function spawnKubejoin(args: string[], env: NodeJS.ProcessEnv = cliEnv()): ChildProcess {
  return spawn(CLI_NODE, [cliFor(env), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** `token` in `<dir>/<name>`, 0600, as the join wants a token file. */
export async function writeTokenFile(dir: string, token: string, name = 'token'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}

/** The start of every token join the tests run: `join <endpoint> --token-file … --discovery-token-ca-cert-hash … --node-name …`. */
export function tokenJoinArgs(cluster: { endpoint: string; caCertHash: string }, tokenFile: string, node: string): string[] {
  return ['join', cluster.endpoint, '--token-file', tokenFile, '--discovery-token-ca-cert-hash', cluster.caCertHash, '--node-name', node];
}

/**
 * `kubejoin join` against `cluster` with a token file and a node name, storing in the keychain
 * with the kubeconfig at `<dir>/kc.conf`.
 */
export function keychainJoinArgs(cluster: { endpoint: string; caCertHash: string }, tokenFile: string, node: string, dir: string): string[] {
  return [...tokenJoinArgs(cluster, tokenFile, node), '--store', 'keychain', '--kubeconfig-out', join(dir, 'kc.conf')];
}
