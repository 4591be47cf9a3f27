// The engine in a process of its own, for the benchmark: bundled by esbuild like the CLI
// (test/bench/bundle.ts) and driven through the engine's public API only (`join()` from
// agent/index.ts). argv[2] is a JSON WorkerConfig; prints ONE JSON line (WorkerReport).
//   warm:  `warmup` joins, then `runs` joins one after another (the engine's own timings)
//   fleet: `count` joins at once (Promise.all over join()), all started together
//   serve: `warmup` joins, then one join per node name read from stdin, one JSON line
//          (WorkerJoin) each, until stdin ends (test/bench/warm.ts interleaves it with Go)
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join as joinPath } from 'node:path';
import { join, type JoinRequest, type JoinResult } from '../../agent/index.js';

export interface WorkerConfig {
  mode: 'warm' | 'fleet' | 'serve';
  endpoint: string;
  tokenFile: string;
  caCertHash: string;
  /** Node names are <prefix>-<i>; each join gets <dir>/<node>/ for its files. */
  prefix: string;
  dir: string;
  runs?: number;
  warmup?: number;
  count?: number;
  deviceFacts: boolean;
}

export interface WorkerJoin {
  node: string;
  ok: boolean;
  durationMs: number;
  phaseDurationsMs: JoinResult['phaseDurationsMs'];
  error?: string;
  startedAt: number;
  endedAt: number;
}

export interface WorkerReport {
  mode: WorkerConfig['mode'];
  joins: WorkerJoin[];
  warmup: WorkerJoin[];
  wallMs: number;
  startedAt: number;
  endedAt: number;
  peakRssKiB: number | null;
}

function vmHWM(): number | null {
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : null;
}

async function joinOne(cfg: WorkerConfig, token: string, node: string): Promise<WorkerJoin> {
  const request: JoinRequest = {
    endpoint: cfg.endpoint,
    token,
    caCertHashes: [cfg.caCertHash],
    nodeName: node,
    store: 'file',
    certDir: joinPath(cfg.dir, node),
    kubeconfigOut: joinPath(cfg.dir, node, 'kubelet.conf'),
  };
  const startedAt = Date.now();
  const events = join(request, { deviceFacts: cfg.deviceFacts });
  let next = await events.next();
  while (!next.done) next = await events.next();
  const result = next.value;
  const out: WorkerJoin = { node, ok: result.ok, durationMs: result.durationMs, phaseDurationsMs: result.phaseDurationsMs, startedAt, endedAt: Date.now() };
  if (!result.ok) out.error = `${result.phase ?? 'join'}: ${result.error.message}`;
  return out;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  const token = readFileSync(cfg.tokenFile, 'utf8').trim();
  const warmup: WorkerJoin[] = [];
  const joins: WorkerJoin[] = [];
  let startedAt: number;
  let t0: number;
  if (cfg.mode === 'serve') {
    for (let i = 0; i < (cfg.warmup ?? 1); i++) {
      const w = await joinOne(cfg, token, `${cfg.prefix}-warmup-${i}`);
      process.stdout.write(`${JSON.stringify({ warmup: true, ...w })}\n`);
    }
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.trim()) process.stdout.write(`${JSON.stringify(await joinOne(cfg, token, line.trim()))}\n`);
    }
    return;
  }
  if (cfg.mode === 'warm') {
    for (let i = 0; i < (cfg.warmup ?? 1); i++) warmup.push(await joinOne(cfg, token, `${cfg.prefix}-warmup-${i}`));
    startedAt = Date.now();
    t0 = performance.now();
    for (let i = 0; i < (cfg.runs ?? 5); i++) joins.push(await joinOne(cfg, token, `${cfg.prefix}-${i}`));
  } else {
    const names = Array.from({ length: cfg.count ?? 1 }, (_, i) => `${cfg.prefix}-${i}`);
    startedAt = Date.now();
    t0 = performance.now();
    joins.push(...(await Promise.all(names.map((n) => joinOne(cfg, token, n)))));
  }
  const report: WorkerReport = { mode: cfg.mode, joins, warmup, wallMs: performance.now() - t0, startedAt, endedAt: Date.now(), peakRssKiB: vmHWM() };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`engine-worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
