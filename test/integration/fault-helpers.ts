// Helpers for the fault tests (crash safety, disk faults): a CLI run that reports the
// signal that ended it, the CSRs a token made, and what a store directory holds.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ClusterHandle } from '../harness/index.js';
import { cliEnv, cliFor, fileStoreFlags, tokenJoinArgs, runProcess, type Outcome } from '../helpers/cli.js';

/** The built CLI, with KUBEJOIN_TEST_KILL_AT when `killAt` is given (then the test build's). */
export function kubejoinRun(args: string[], opts: { killAt?: string; env?: NodeJS.ProcessEnv; cmd?: string[] } = {}): Promise<Outcome> {
  const env = cliEnv({ ...(opts.env ?? {}), ...(opts.killAt ? { KUBEJOIN_TEST_KILL_AT: opts.killAt } : {}) });
  const prefix = opts.cmd ?? [];
  const cli = cliFor(env);
  return prefix.length > 0
    ? runProcess(prefix[0]!, [...prefix.slice(1), process.execPath, cli, ...args], { env })
    : runProcess(process.execPath, [cli, ...args], { env });
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
  return [...tokenJoinArgs(cluster, tokenPath, node), ...fileStoreFlags(dir), ...extra];
}
