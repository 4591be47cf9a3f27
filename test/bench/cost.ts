// The cost of a join to the cluster: the apiserver's, etcd's and the controller-manager's CPU
// time (utime + stime from /proc/<pid>/stat, in clock ticks of `getconf CLK_TCK`), TLS
// handshakes (the counting front, front.ts) and requests by verb, resource and code (the
// audit log), for kubejoin and the Go path alike.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterHandle } from '../harness/index.js';
import type { Request, Window } from './audit.js';
import type { Connection } from './front.js';
import { sleep } from '../harness/time.js';

export const COMPONENTS = ['kube-apiserver', 'etcd', 'kube-controller-manager'] as const;
export type Component = (typeof COMPONENTS)[number];
export type CpuMs = Record<Component, number>;

export const CLK_TCK = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** The control plane's component pids, as its supervisor records them (pids.json). */
export function componentPids(stateDir: string): Record<Component, number> {
  const rec = JSON.parse(readFileSync(join(stateDir, 'pids.json'), 'utf8')) as { children?: Record<string, { pid: number }> };
  const out = {} as Record<Component, number>;
  for (const name of COMPONENTS) {
    const pid = rec.children?.[name]?.pid;
    if (!pid) throw new Error(`${stateDir}/pids.json names no ${name}`);
    // setpriv execs the component: the pid's command must be the component itself.
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (!name.startsWith(comm)) throw new Error(`pid ${pid} is ${comm}, not ${name}`);
    out[name] = pid;
  }
  return out;
}

/** utime + stime of one process, in ms (fields 14 and 15 of /proc/<pid>/stat, after "(comm)"). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

export function cpuNow(pids: Record<Component, number>): CpuMs {
  return Object.fromEntries(COMPONENTS.map((n) => [n, cpuMsOf(pids[n])])) as CpuMs;
}

export const cpuDiff = (a: CpuMs, b: CpuMs): CpuMs => Object.fromEntries(COMPONENTS.map((n) => [n, b[n] - a[n]])) as CpuMs;

/** The components' CPU while nothing joins, in ms per second of wall time. */
export async function idleCpuRate(pids: Record<Component, number>, ms = 5000): Promise<CpuMs> {
  const a = cpuNow(pids);
  const t0 = performance.now();
  await sleep(ms);
  const d = cpuDiff(a, cpuNow(pids));
  const secs = (performance.now() - t0) / 1000;
  return Object.fromEntries(COMPONENTS.map((n) => [n, d[n] / secs])) as CpuMs;
}

/**
 * Makes cluster-info name the front as its server (so that every request of a join after
 * discovery goes through it, docs/protocol.md §3.7) and waits until the bootstrap signer has
 * signed the new content for `tokenId` (the signature checked like a join checks it).
 */
export async function serveClusterInfoVia(c: ClusterHandle, frontEndpoint: string, token: string): Promise<void> {
  const path = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
  let kubeconfig = '';
  for (let attempt = 1; ; attempt++) {
    // The bootstrap signer writes the same object: retry on a conflict.
    const cm = (await c.request({ path })).json<{ data: Record<string, string> }>();
    kubeconfig = cm.data.kubeconfig!.replace(/server: https:\/\/\S+/, `server: https://${frontEndpoint}`);
    const put = await c.request({ method: 'PUT', path, body: { ...cm, data: { ...cm.data, kubeconfig } } });
    if (put.status === 200) break;
    if (put.status !== 409 || attempt >= 20) throw new Error(`rewriting cluster-info: HTTP ${put.status}: ${put.text.slice(0, 300)}`);
    await sleep(100);
  }
  const [id, secret] = token.split('.') as [string, string];
  const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const data = (await c.request({ path })).json<{ data: Record<string, string> }>().data;
    const [header, , sig] = (data[`jws-kubeconfig-${id}`] ?? '').split('.');
    const want = header ? b64url(createHmac('sha256', secret).update(`${header}.${b64url(data.kubeconfig ?? '')}`).digest()) : '';
    if (data.kubeconfig === kubeconfig && sig && sig === want) return;
    if (Date.now() > deadline) throw new Error('the bootstrap signer did not sign the rewritten cluster-info within 60 s');
    await sleep(200);
  }
}

export interface Handshakes {
  /** New TCP connections to the apiserver per join. */
  connections: number;
  /** Full TLS handshakes (certificate and key exchange) per join. */
  full: number;
  /** Resumed TLS sessions per join. */
  resumed: number;
}

export function handshakesPerJoin(conns: readonly Connection[], windows: readonly Window[], joins: number): Handshakes {
  const mine = conns.filter((c) => windows.some((w) => c.at >= w.startedAt - 1 && c.at <= w.endedAt + 1));
  const n = Math.max(1, joins);
  const per = (k: number): number => Math.round((k / n) * 1000) / 1000;
  return { connections: per(mine.length), full: per(mine.filter((c) => c.handshake && !c.resumed).length), resumed: per(mine.filter((c) => c.resumed).length) };
}

/** "verb what code" -> count per join, e.g. "create certificatesigningrequests 201": 1. */
export function byVerbResourceCode(requests: readonly Request[], joins: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) {
    const k = `${r.verb} ${r.what} ${r.code ?? '-'}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  const n = Math.max(1, joins);
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, Math.round((v / n) * 100) / 100]),
  );
}
