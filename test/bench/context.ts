// What every section of the benchmark shares: the cluster, the working directory, the
// token, the Go reference and the engine worker bundle, and the list of failed joins.
import type { ClusterHandle } from '../harness/index.js';
import type { AuditReader } from './audit.js';
import type { Component } from './cost.js';
import type { Front } from './front.js';
import type { Bundle } from './bundle.js';
import type { WorkerConfig, WorkerReport } from './engine-worker.js';
import { lastJson, run } from './measure.js';

export interface BenchContext {
  c: ClusterHandle;
  /** Where the joining clients connect: the counting front before the apiserver. */
  endpoint: string;
  front: Front;
  /** The control plane's component pids (their CPU time is the cluster's cost). */
  pids: Record<Component, number>;
  auditLog: string;
  audit: AuditReader;
  work: string;
  env: NodeJS.ProcessEnv;
  tokenFile: string;
  refjoin: string;
  bundle: Bundle;
  /**
   * The Node that runs the engine worker (sections 2 and 6): the supported runtime the packages
   * carry when it is cached, as section 1 measures the CLI on it; else this process's Node.
   */
  engineNode: { path: string; version: string };
  failures: string[];
  log: (line: string) => void;
  /** refjoin's arguments for a join as node `name`. */
  goArgs: (name: string, extra?: string[]) => string[];
}

/** Runs the bundled engine worker with `cfg` on `node`; its one JSON line is the report. */
export async function worker(node: string, script: string, cfg: WorkerConfig, env: NodeJS.ProcessEnv): Promise<WorkerReport> {
  const r = await run(node, [script, JSON.stringify(cfg)], { env, timeoutMs: 15 * 60_000 });
  const report = lastJson<WorkerReport>(r.stdout);
  if (r.code !== 0 || !report) throw new Error(`engine worker (${cfg.mode}) exit ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
  return report;
}
