// Section 6 of the benchmark: fleets of N joins at once in one process, the engine
// (Promise.all over join()) vs `refjoin --count N`, on a cluster cleared of CSRs before
// each run; who goes first alternates.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { byVerbResource, failedAnswers, failedByKind, inWindow, settle, type Window } from './audit.js';
import { worker, type BenchContext } from './context.js';
import { byVerbResourceCode, COMPONENTS, cpuDiff, cpuNow, handshakesPerJoin, type CpuMs } from './cost.js';
import { sleep } from '../harness/time.js';
import { lastJson, run } from './measure.js';
import { MiB, quantile, round } from './stats.js';
import type { FleetRun, GoFleet } from './types.js';

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

export async function runFleets(ctx: BenchContext, fleetSizes: readonly number[], fleetRuns: number): Promise<FleetRun[]> {
  const { c, audit, auditLog, work, env, tokenFile, refjoin, bundle, failures, log, goArgs, endpoint, pids, front } = ctx;
  const fleet: FleetRun[] = [];
  let flip = 0; // who goes first alternates, so neither always meets the fuller cluster
  for (const size of fleetSizes) {
    for (let rep = 0; rep < fleetRuns; rep++) {
      const order: ('go' | 'kubejoin')[] = flip++ % 2 === 0 ? ['go', 'kubejoin'] : ['kubejoin', 'go'];
      for (const tool of order) {
        const prefix = `${tool}-fleet${size}-${rep}`;
        const dir = join(work, prefix);
        // Every fleet run meets the same cluster: no CSRs left by earlier runs (one
        // deletecollection as the admin, who is not counted).
        const del = await c.request({ method: 'DELETE', path: CSRS, timeoutMs: 120_000 });
        if (del.status !== 200) log(`warning: deleting old CSRs: HTTP ${del.status}`);
        await sleep(1000); // the controllers' answer to the deletion is not the fleet's cost
        const cpuBefore = cpuNow(pids);
        const cpuFrom = performance.now();
        log(`section 6: fleet of ${size} (${tool}, run ${rep + 1}/${fleetRuns})`);
        let runResult: FleetRun;
        let window: Window;
        if (tool === 'go') {
          const r = await run(refjoin, goArgs(prefix, ['--count', String(size)]), { env });
          const out = lastJson<GoFleet>(r.stdout);
          if (!out) {
            failures.push(`refjoin --count ${size}: exit ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
            continue;
          }
          if (out.succeeded !== size) failures.push(`refjoin --count ${size}: ${out.succeeded}/${size} succeeded: ${JSON.stringify(out.errors ?? {}).slice(0, 300)}`);
          window = r;
          runResult = {
            tool, size, succeeded: out.succeeded, p50Ms: out.p50Ms, p95Ms: out.p95Ms, maxMs: out.maxMs, wallMs: out.wallMs,
            requestsPerJoin: 0, failedAnswers: 0, peakRssMiB: MiB(out.peakRssKiB), ...(out.errors ? { errors: out.errors } : {}),
          };
        } else {
          const rep2 = await worker(ctx.engineNode.path, bundle.worker, { mode: 'fleet', endpoint, tokenFile, caCertHash: c.caCertHash, prefix, dir, count: size, deviceFacts: false }, env).catch((err: Error) => {
            failures.push(`engine fleet of ${size}: ${err.message}`);
            return undefined;
          });
          if (!rep2) continue;
          const ok = rep2.joins.filter((j) => j.ok);
          const errors: Record<string, number> = {};
          for (const j of rep2.joins) if (!j.ok) errors[j.error ?? 'failed'] = (errors[j.error ?? 'failed'] ?? 0) + 1;
          if (ok.length !== size) failures.push(`engine fleet of ${size}: ${ok.length}/${size} succeeded: ${JSON.stringify(errors).slice(0, 300)}`);
          const d = ok.map((j) => j.durationMs);
          window = rep2;
          runResult = {
            tool, size, succeeded: ok.length, p50Ms: quantile(d, 0.5), p95Ms: quantile(d, 0.95), maxMs: quantile(d, 1), wallMs: rep2.wallMs,
            requestsPerJoin: 0, failedAnswers: 0, peakRssMiB: MiB(rep2.peakRssKiB), ...(Object.keys(errors).length ? { errors } : {}),
          };
        }
        // The cluster's cost of the fleet: CPU until the audit log (written by the apiserver
        // for these requests) is quiet again.
        await settle(auditLog);
        const cpu = cpuDiff(cpuBefore, cpuNow(pids));
        runResult.cpuMsPerJoin = Object.fromEntries(COMPONENTS.map((n) => [n, round(cpu[n] / size, 2)!])) as CpuMs;
        runResult.cpuWindowMs = Math.round(performance.now() - cpuFrom);
        runResult.handshakes = handshakesPerJoin(front.connections(), [window], size);
        const mine = inWindow(await audit.requests(), window);
        runResult.requestsPerJoin = mine.length / size;
        runResult.failedAnswers = failedAnswers(mine);
        runResult.requests = Object.fromEntries(Object.entries(byVerbResource(mine)).map(([k, v]) => [k, round(v / size, 2)!]));
        runResult.requestsByCode = byVerbResourceCode(mine, size);
        if (runResult.failedAnswers) runResult.failed = failedByKind(mine);
        fleet.push(runResult);
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  return fleet;
}
