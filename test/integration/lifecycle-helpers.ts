// Shared by the lifecycle-*.test.ts files: a joined machine in a temp dir (file or keychain
// store), kubectl as that node, the cluster's CSRs, and the agent as a child process.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ClusterHandle } from '../harness/index.js';
import { probeKeychain } from '../../agent/store/keychain.js';
import { assertNoSecret, cliEnv, kubejoin, run, spawnKubejoin, uniqueName, type Run, tokenJoinArgs } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';

export interface Joined {
  dir: string;
  node: string;
  kubeconfig: string;
  certDir: string;
  env: NodeJS.ProcessEnv;
  /** `--kubeconfig <file>` for status, renew, agent and reset. */
  where: string[];
}

/** A keychain for this test (its own service name, emptied afterwards), or why there is none. */
export async function keychainEnv(t: TestContext): Promise<NodeJS.ProcessEnv | string> {
  const problem = await probeKeychain(process.env);
  if (problem) return `SKIP: no reachable keychain here (${problem}); npm test runs inside dbus-run-session with gnome-keyring`;
  const service = uniqueName('kubejoin-test');
  t.after(async () => {
    const keytar = (await import('keytar')).default;
    for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
  });
  return cliEnv({ KUBEJOIN_KEYCHAIN_SERVICE: service });
}

export async function keychainAccounts(env: NodeJS.ProcessEnv): Promise<string[]> {
  const keytar = (await import('keytar')).default;
  return (await keytar.findCredentials(env.KUBEJOIN_KEYCHAIN_SERVICE!)).map((c) => c.account).sort();
}

/** `kubejoin join` into a fresh temp dir; asserts it worked. */
export async function joinMachine(
  t: TestContext,
  cluster: ClusterHandle,
  store: 'file' | 'keychain',
  env: NodeJS.ProcessEnv = cliEnv(),
  prefix = 'lc',
): Promise<Joined> {
  const dir = await workdir(t);
  const node = uniqueName(prefix);
  const token = await cluster.signedToken();
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const kubeconfig = join(dir, 'kubelet.conf');
  const certDir = join(dir, 'pki');
  const storeFlags = store === 'file' ? ['--store', 'file', '--cert-dir', certDir] : ['--store', 'keychain'];
  const r = await kubejoin([...tokenJoinArgs(cluster, tokenFile, node), ...storeFlags, '--kubeconfig-out', kubeconfig], { env });
  assertNoSecret(r, token);
  assert.equal(r.code, 0, `join failed: ${r.stderr}`);
  return { dir, node, kubeconfig, certDir, env, where: ['--kubeconfig', kubeconfig] };
}

export function lc(m: Joined, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return kubejoin([...args, ...m.where], {
    env: opts.env ?? m.env,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

export interface StatusJson {
  state: string;
  exitCode: number;
  nodeName?: string;
  identity?: { username: string; groups: string[] };
  identityProblem?: string;
  certificate?: { serialNumber: string; notBefore: string; notAfter: string; secondsLeft: number; rotationDue: string; subject: string };
  store?: { kind: string; location: string; kubeconfigPath: string };
  pending?: { kind: string; csrName?: string; state?: string; approveCommand?: string }[];
}

export async function status(m: Joined, env?: NodeJS.ProcessEnv): Promise<{ code: number; json: StatusJson; r: Run }> {
  const r = await lc(m, ['status', '-o', 'json'], env ? { env } : {});
  return { code: r.code, json: JSON.parse(r.stdout) as StatusJson, r };
}

/** `kubectl auth whoami` with the machine's kubeconfig (the exec plugin for the keychain). */
export async function whoami(m: Joined): Promise<{ code: number; username?: string; stderr: string }> {
  const r = await run('kubectl', ['--kubeconfig', m.kubeconfig, 'auth', 'whoami', '-o', 'json'], { env: m.env, timeoutMs: 30_000 });
  if (r.code !== 0) return { code: r.code, stderr: r.stderr };
  return { code: 0, username: (JSON.parse(r.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username, stderr: r.stderr };
}

export interface CsrInfo {
  name: string;
  username: string;
  signerName: string;
  expirationSeconds?: number;
  conditions: string[];
}

/** Every CSR whose requestor is system:node:<node>. */
export async function nodeCsrs(cluster: ClusterHandle, node: string): Promise<CsrInfo[]> {
  const r = await cluster.kubectl(['get', 'csr', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  type Item = {
    metadata: { name: string };
    spec: { username: string; signerName: string; expirationSeconds?: number };
    status?: { conditions?: { type: string }[] };
  };
  return (JSON.parse(r.stdout) as { items: Item[] }).items
    .filter((i) => i.spec.username === `system:node:${node}`)
    .map((i) => ({
      name: i.metadata.name,
      username: i.spec.username,
      signerName: i.spec.signerName,
      ...(i.spec.expirationSeconds !== undefined ? { expirationSeconds: i.spec.expirationSeconds } : {}),
      conditions: (i.status?.conditions ?? []).map((c) => c.type),
    }));
}

/** The agent as a child process, its stdout collected line by line. */
export class AgentProcess {
  readonly child: ChildProcess;
  private out = '';
  private err = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(m: Joined, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawnKubejoin(['agent', ...args, ...m.where], env);
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  count(pattern: RegExp): number {
    return this.out.split('\n').filter((l) => pattern.test(l)).length;
  }

  /** Waits until `pattern` matched `times` lines of stdout. */
  async waitFor(pattern: RegExp, times = 1, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.count(pattern) < times) {
      if (Date.now() > end)
        throw new Error(`the agent did not log ${pattern} ${times} time(s) within ${timeoutMs} ms; stdout:\n${this.out}\nstderr:\n${this.err}`);
      if (this.child.exitCode !== null)
        throw new Error(`the agent exited (${this.child.exitCode}) before logging ${pattern}; stdout:\n${this.out}\nstderr:\n${this.err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM; resolves with the exit code and how long the agent took to end. */
  async terminate(): Promise<{ code: number | null; ms: number }> {
    const t0 = Date.now();
    this.child.kill('SIGTERM');
    const { code } = await this.exited;
    return { code, ms: Date.now() - t0 };
  }

  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}
