// Shared by the bound-token tests: the approver's own kubeconfig (a client certificate for
// kubejoin:approver, so every approval runs with only the RBAC `cluster prepare --bound-tokens`
// grants), bound tokens made by `token create --node-name`, joins of the built CLI, and the
// CSRs a token made.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { clientKubeconfig } from '../../harness/kubeconfig.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { CLI, cliEnv, ensureBuilt, fileStoreFlags, run, tokenJoinArgs, writeTokenFile, type Run } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { tempDir } from '../../helpers/temp.js';

export interface Csr {
  metadata: { name: string };
  spec: { username: string };
  status?: { conditions?: { type: string; reason?: string; message?: string }[]; certificate?: string };
}

/** `cluster prepare --bound-tokens`, then a kubeconfig for the user kubejoin:approver (CA-signed with openssl). */
export async function prepareApprover(c: ClusterHandle): Promise<string> {
  const prep = await kubejoinInProcess(['cluster', 'prepare', '--bound-tokens', '--kubeconfig', c.adminKubeconfig]);
  assert.equal(prep.code, 0, prep.stderr);
  const dir = tempDir('kubejoin-approver-');
  const key = join(dir, 'approver.key');
  const csr = join(dir, 'approver.csr');
  const crt = join(dir, 'approver.crt');
  execFileSync(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=kubejoin:approver'],
    { stdio: 'ignore' },
  );
  execFileSync(
    'openssl',
    ['x509', '-req', '-in', csr, '-CA', join(c.stateDir, 'ca.crt'), '-CAkey', join(c.stateDir, 'ca.key'), '-CAcreateserial', '-days', '1', '-out', crt],
    {
      stdio: 'ignore',
    },
  );
  const kc = join(dir, 'approver.conf');
  const text = clientKubeconfig({
    server: c.server,
    caPem: c.caPem,
    user: 'kubejoin:approver',
    certPem: readFileSync(crt, 'utf8'),
    keyPem: readFileSync(key, 'utf8'),
  });
  writeFileSync(kc, text, { mode: 0o600 });
  return kc;
}

/** A bound-token test file's `before`: the built CLI, the shared cluster and the approver's kubeconfig. */
export async function boundCluster(): Promise<{ c: ClusterHandle; approverKc: string }> {
  await ensureBuilt();
  const c = await testCluster();
  return { c, approverKc: await prepareApprover(c) };
}

/** `token create --node-name <node> -o json [extra]`; waits until discovery can use it. */
export async function boundToken(c: ClusterHandle, node: string, extra: string[] = []): Promise<{ token: string; id: string; joinCommand: string }> {
  const r = await kubejoinInProcess(['token', 'create', '--node-name', node, '-o', 'json', '--kubeconfig', c.adminKubeconfig, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const item = (JSON.parse(r.stdout) as { items: { token: string; nodeName: string; joinCommand: string }[] }).items[0]!;
  assert.equal(item.nodeName, node);
  const id = item.token.slice(0, 6);
  await c.waitForSignature(id);
  return { token: item.token, id, joinCommand: item.joinCommand };
}

/** A join of the built CLI into a fresh directory, as `node`; resolves at its end. */
export function startJoin(c: ClusterHandle, token: string, node: string, extra: string[] = []): { dir: string; done: Promise<Run> } {
  const dir = tempDir('kubejoin-bound-join-');
  const done = (async () => {
    const file = await writeTokenFile(dir, token);
    return run(process.execPath, [CLI, ...tokenJoinArgs(c, file, node), ...fileStoreFlags(dir), '--timeout', '90s', ...extra], { env: cliEnv({ HOME: dir }) });
  })();
  return { dir, done };
}

export async function csrsOf(c: ClusterHandle, id: string): Promise<Csr[]> {
  const res = await c.request({ path: '/apis/certificates.k8s.io/v1/certificatesigningrequests' });
  return res.json<{ items: Csr[] }>().items.filter((x) => x.spec.username === `system:bootstrap:${id}`);
}

/** Waits until token `id` has `count` pending (undecided) CSR(s); returns them. */
export function pendingCsrs(c: ClusterHandle, id: string, count = 1): Promise<Csr[]> {
  return eventually(`${count} pending CSR(s) of token ${id}`, async () => {
    const list = (await csrsOf(c, id)).filter((x) => (x.status?.conditions ?? []).length === 0);
    return list.length >= count ? list : undefined;
  });
}

export interface DecisionLine {
  decision: 'approve' | 'deny' | 'spent';
  csr: string;
  token: string;
  node?: string;
  message: string;
}

export const decisionsOf = (stdout: string): DecisionLine[] =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DecisionLine);

/** `cluster approve --once` as kubejoin:approver. */
export async function approveOnce(kc: string): Promise<{ run: Run; decisions: DecisionLine[] }> {
  const r = await kubejoinInProcess(['cluster', 'approve', '--once', '--kubeconfig', kc]);
  assert.equal(r.code, 0, r.stderr);
  return { run: r, decisions: decisionsOf(r.stdout) };
}

/** `cluster approve --watch` of the built CLI as a child process. */
export function startApprover(kc: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'cluster', 'approve', '--watch', '--kubeconfig', kc], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface Approver {
  /** Each decision line with when it arrived. */
  lines: (DecisionLine & { seenAt: number })[];
  stderr: () => string;
  exit: Promise<number | null>;
  child: ChildProcess;
}

/** `cluster approve --watch` with `kc`, its decision lines collected as they come; `children` holds it until it ends. */
function runApprover(kc: string, children: Set<ChildProcess>): Approver {
  const child = startApprover(kc);
  children.add(child);
  const lines: Approver['lines'] = [];
  let buf = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const end = buf.lastIndexOf('\n');
    if (end < 0) return;
    lines.push(...decisionsOf(buf.slice(0, end)).map((l) => ({ ...l, seenAt: Date.now() })));
    buf = buf.slice(end + 1);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((r) => child.on('close', (code) => (children.delete(child), r(code))));
  return { lines, stderr: () => err, exit, child };
}

/** `runApprover` for one test file: every approver it starts and that still runs is killed (SIGKILL) after the file. */
export function approversOfFile(): (kc: string) => Approver {
  const children = new Set<ChildProcess>();
  after(() => {
    for (const child of children) child.kill('SIGKILL');
  });
  return (kc) => runApprover(kc, children);
}

export async function secretExists(c: ClusterHandle, id: string): Promise<boolean> {
  const res = await c.request({ path: `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}` });
  return res.status === 200;
}
