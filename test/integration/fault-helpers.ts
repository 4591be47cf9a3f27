// Helpers for the fault tests (crash safety, disk faults): a CLI run that reports the
// signal that ended it, the CSRs a token made, and what a store directory holds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../harness/index.js';
import { CLI, cliEnv } from '../helpers/cli.js';

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args`, resolving with the exit code or the signal that ended it. */
export function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The built CLI, with KUBEJOIN_TEST_KILL_AT when `killAt` is given. */
export function kubejoinRun(args: string[], opts: { killAt?: string; env?: NodeJS.ProcessEnv; cmd?: string[] } = {}): Promise<Outcome> {
  const env = cliEnv({ ...(opts.env ?? {}), ...(opts.killAt ? { KUBEJOIN_TEST_KILL_AT: opts.killAt } : {}) });
  const prefix = opts.cmd ?? [];
  return prefix.length > 0
    ? runProcess(prefix[0]!, [...prefix.slice(1), process.execPath, CLI, ...args], env)
    : runProcess(process.execPath, [CLI, ...args], env);
}

export async function writeTokenFile(dir: string, token: string): Promise<string> {
  const path = join(dir, 'token');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return path;
}

export async function signedToken(cluster: ClusterHandle): Promise<string> {
  const token = await cluster.createToken();
  await cluster.waitForSignature(token.split('.')[0]!);
  return token;
}

/** CSRs requested with this token (one token per test case, so: by this test case). */
export async function csrsOfToken(cluster: ClusterHandle, token: string): Promise<{ name: string; cn: string }[]> {
  const r = await cluster.kubectl(['get', 'csr', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: { username: string } }[] }).items;
  return items.filter((i) => i.spec.username === `system:bootstrap:${token.split('.')[0]}`).map((i) => ({ name: i.metadata.name, cn: i.spec.username }));
}

/** SPKI (base64 DER) of a PEM private key, or of the key in a combined cert+key PEM. */
export function keySpki(pem: string): string {
  return createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' }).toString('base64');
}

export function certSpki(pem: string): string {
  return new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

export async function readOptional(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

export function joinArgs(cluster: ClusterHandle, tokenPath: string, node: string, dir: string, extra: string[] = []): string[] {
  return [
    'join',
    cluster.endpoint,
    '--token-file',
    tokenPath,
    '--discovery-token-ca-cert-hash',
    cluster.caCertHash,
    '--node-name',
    node,
    '--store',
    'file',
    '--cert-dir',
    join(dir, 'pki'),
    '--kubeconfig-out',
    join(dir, 'kubelet.conf'),
    ...extra,
  ];
}
