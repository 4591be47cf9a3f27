// kubejoin beside the official Go join path (issue 7), on ONE local control plane:
//   1. cold CLI join wall: `node dist/cli.mjs join` (file store) vs refjoin vs `node -e 0`
//   2. engine join in a warm process (its own phase timings) vs refjoin's in-process total
//   3. peak RSS of the join process (GNU time %M) vs `node -e 0` vs refjoin
//   4. `kubejoin --version` wall vs `node -e 0`
//   5. API requests per join by verb and resource, from the apiserver audit log
//   6. fleets of N joins at once in one process: the engine (Promise.all over join()) vs
//      `refjoin --count N`
// Medians over `runs` runs (default 5), runs interleaved so that machine noise hits every
// contender alike. The cluster's controller-manager runs with --kube-api-qps=500
// --kube-api-burst=1000 for every section (its default client limit, 20/30, caps CSR
// approval in the fleets; a single join is not throttled by either).
import { cpus, loadavg, tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { AuditReader, byVerbResource, failedAnswers, failedByKind, inWindow, settle, type Request, type Window } from './audit.js';
import { bundleEngineWorker } from './bundle.js';
import type { WorkerConfig, WorkerJoin, WorkerReport } from './engine-worker.js';
import { hasGnuTime, lastJson, run, runWithPeakRss, type Ran } from './measure.js';
import { ensureRefjoin } from './refjoin.js';
import { median, quantile, ratio, round } from './stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.mjs');
export const KCM_FLAGS = ['--kube-api-qps=500', '--kube-api-burst=1000'];
/** The audit log must not rotate during the run (the default rotates at 100 MB). */
const APISERVER_FLAGS = ['--audit-log-maxsize=100000'];
const WARMUP_JOINS = 2;
const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

export interface BenchOptions {
  /** One run of each, a fleet of 10: for the test. */
  quick?: boolean;
  runs?: number;
  fleetSizes?: number[];
  fleetRuns?: number;
  /** Collect device facts in the warm-engine joins (the engine's default; the fleet never does). */
  deviceFacts?: boolean;
  log?: (line: string) => void;
}

/** One figure of the table: a value, what it is compared with, and the target if any. */
export interface Figure {
  id: string;
  section: number;
  label: string;
  unit: 'ms' | 'MiB' | 'requests' | 'joins' | 'x';
  value: number | null;
  baseline: number | null;
  baselineLabel: string;
  ratio: number | null;
  target?: string;
  met?: boolean;
}

interface GoSingle {
  ok: boolean;
  phasesMs: { discovery: number; csr: number; wait: number; files: number; verify: number; total: number };
  error?: string;
  peakRssKiB?: number;
}
interface GoFleet {
  ok?: boolean;
  count: number;
  succeeded: number;
  wallMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  errors?: Record<string, number>;
  peakRssKiB: number;
}
interface CliResultEvent {
  type: 'result';
  result: { ok: boolean; durationMs: number; phaseDurationsMs: Record<string, number>; error?: { message: string } };
}

export interface FleetRun {
  tool: 'kubejoin' | 'go';
  size: number;
  succeeded: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  wallMs: number;
  requestsPerJoin: number;
  failedAnswers: number;
  /** Per join, by verb and resource. */
  requests?: Record<string, number>;
  /** Non-2xx answers by "verb resource code". */
  failed?: Record<string, number>;
  peakRssMiB: number | null;
  errors?: Record<string, number>;
}

export interface BenchReport {
  meta: {
    date: string;
    quick: boolean;
    runs: number;
    fleetRuns: number;
    node: string;
    go: string;
    kubernetes: string;
    cpus: string;
    cores: number;
    loadavgBefore: number[];
    loadavgAfter: number[];
    controllerManagerFlags: string[];
    rssMethod: string;
    deviceFactsWarm: boolean;
    deviceFactsFleet: boolean;
  };
  figures: Figure[];
  requests: {
    kubejoin: { perJoin: number | null; max: number | null; byVerbResource: Record<string, number> };
    engine: { perJoin: number | null; max: number | null; byVerbResource: Record<string, number> };
    go: { perJoin: number | null; max: number | null; byVerbResource: Record<string, number> };
  };
  fleet: FleetRun[];
  /** Every join that was attempted succeeded (cold, warm, fleets). */
  allSucceeded: boolean;
  failures: string[];
  raw: Record<string, unknown>;
}

const MiB = (kib: number | null | undefined): number | null => (kib == null ? null : kib / 1024);

export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const log = opts.log ?? ((): void => {});
  const quick = opts.quick === true;
  const runs = opts.runs ?? (quick ? 1 : 5);
  const fleetSizes = opts.fleetSizes ?? (quick ? [10] : [50, 200, 500]);
  const fleetRuns = opts.fleetRuns ?? (quick ? 1 : 5);
  const deviceFactsWarm = opts.deviceFacts ?? true;
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  const loadavgBefore = loadavg().map((n) => round(n, 2)!);

  const refjoin = await ensureRefjoin(log);
  const bundle = await bundleEngineWorker();
  const work = await mkdtemp(join(tmpdir(), 'kubejoin-bench-'));
  const failures: string[] = [];
  let cluster: ClusterHandle | undefined;
  try {
    log(`starting a control plane (audit log at level Metadata; controller-manager ${KCM_FLAGS.join(' ')})`);
    cluster = await startCluster({ audit: true, apiserverFlags: APISERVER_FLAGS, controllerManagerFlags: KCM_FLAGS, log: (l) => log(`  ${l}`) });
    const c = cluster;
    const auditLog = c.auditLog;
    if (!auditLog) throw new Error('the bench cluster has no audit log');
    const audit = new AuditReader(auditLog);
    const token = await c.createToken({ description: 'kubejoin bench' });
    const tokenId = token.split('.')[0]!;
    await c.waitForSignature(tokenId);
    const tokenFile = join(work, 'token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    log(`bootstrap token ${tokenId}.<secret> signed into cluster-info`);

    const env = { ...process.env };
    delete env.KUBEJOIN_TOKEN;
    const node = process.execPath;
    let seq = 0;
    const cliArgs = (name: string, json: boolean): string[] => [
      CLI, 'join', c.endpoint, '--token-file', tokenFile, '--discovery-token-ca-cert-hash', c.caCertHash,
      '--node-name', name, '--store', 'file', '--cert-dir', join(work, name), '--kubeconfig-out', join(work, name, 'kubelet.conf'),
      ...(json ? ['-o', 'json'] : []),
    ];
    const goArgs = (name: string, extra: string[] = []): string[] => [
      c.endpoint, '--token-file', tokenFile, '--discovery-token-ca-cert-hash', c.caCertHash, '--node-name', name, '--cert-dir', join(work, name), ...extra,
    ];
    /** A CLI join succeeded: exit 0, and (-o json) an ok result or (text) the credential on disk. */
    const checkCli = (r: Ran, name: string, json: boolean): boolean => {
      const ev = json ? lastJson<CliResultEvent>(r.stdout) : undefined;
      const ok = r.code === 0 && (json ? ev?.result?.ok === true : existsSync(join(work, name, 'kubelet-client-current.pem')));
      if (!ok) failures.push(`CLI join ${name}: exit ${r.code}: ${ev?.result?.error?.message ?? r.stderr.trim().slice(0, 300)}`);
      return ok;
    };
    const checkGo = (r: Ran, name: string): GoSingle | undefined => {
      const out = lastJson<GoSingle>(r.stdout);
      if (r.code !== 0 || !out?.ok) {
        failures.push(`refjoin ${name}: exit ${r.code}: ${out?.error ?? r.stderr.trim().slice(0, 300)}`);
        return undefined;
      }
      return out;
    };

    // Sections 1, 3, 4: cold processes, interleaved (the order rotates every round); one
    // unmeasured round first warms the page cache. Wall-time runs and peak-RSS runs (under
    // GNU time) are separate, so that neither disturbs the other.
    const KINDS = ['node', 'cli', 'cli-json', 'go', 'version'] as const;
    type Kind = (typeof KINDS)[number];
    const wall: Record<Kind, number[]> = { node: [], cli: [], 'cli-json': [], go: [], version: [] };
    const rss: Record<Kind, number[]> = { node: [], cli: [], 'cli-json': [], go: [], version: [] };
    const goInProcess: GoSingle['phasesMs'][] = [];
    const cliWindows: Window[] = [];
    const goWindows: Window[] = [];
    const once = async (kind: Kind, measure: 'wall' | 'rss' | false): Promise<void> => {
      const name = `${kind}-${measure || 'warmup'}-${seq++}`;
      const exec = (cmd: string, args: string[]): Promise<Ran & { peakRssKiB?: number | null }> => (measure === 'rss' ? runWithPeakRss(cmd, args, { env }) : run(cmd, args, { env }));
      let r: Ran & { peakRssKiB?: number | null };
      switch (kind) {
        case 'node':
          r = await exec(node, ['-e', '0']);
          break;
        case 'version':
          r = await exec(node, [CLI, '--version']);
          if (r.code !== 0) failures.push(`kubejoin --version: exit ${r.code}`);
          break;
        case 'cli':
        case 'cli-json':
          r = await exec(node, cliArgs(name, kind === 'cli-json'));
          if (!checkCli(r, name, kind === 'cli-json')) return;
          if (measure) cliWindows.push(r);
          break;
        case 'go': {
          r = await exec(refjoin, goArgs(name));
          const out = checkGo(r, name);
          if (!out) return;
          if (measure) {
            goWindows.push(r);
            goInProcess.push(out.phasesMs); // in-process: not disturbed by GNU time
          }
          break;
        }
      }
      if (measure === 'wall') wall[kind].push(r.wallMs);
      if (measure === 'rss' && r.peakRssKiB != null) rss[kind].push(r.peakRssKiB);
    };
    const rssMethod = hasGnuTime() ? 'GNU time %M (ru_maxrss of the child), /usr/bin/time' : 'unavailable (/usr/bin/time missing: apt-get install time)';
    log(`sections 1, 3, 4: cold processes, ${runs} interleaved round(s) for wall time, ${runs} for peak RSS (${rssMethod})`);
    for (const k of KINDS) await once(k, false);
    for (const measure of ['wall', 'rss'] as const) {
      for (let i = 0; i < runs; i++) for (let j = 0; j < KINDS.length; j++) await once(KINDS[(i + j) % KINDS.length]!, measure);
    }

    // Section 2: the engine in a warm process.
    log(`section 2: ${runs} engine join(s) in a warm process (after ${WARMUP_JOINS} warm-up joins; device facts ${deviceFactsWarm ? 'on' : 'off'})`);
    const warm = await worker(bundle.worker, {
      mode: 'warm', endpoint: c.endpoint, tokenFile, caCertHash: c.caCertHash, prefix: 'engine-warm', dir: work, runs, warmup: WARMUP_JOINS, deviceFacts: deviceFactsWarm,
    }, env);
    for (const j of [...warm.warmup, ...warm.joins]) if (!j.ok) failures.push(`warm engine join ${j.node}: ${j.error ?? 'failed'}`);
    const warmOk = warm.joins.filter((j) => j.ok);

    // Section 5: requests per join, from the audit log.
    await settle(auditLog);
    const requests = await audit.requests();
    const perJoin = (windows: readonly Window[]): { counts: number[]; all: Request[] } => {
      const sets = windows.map((w) => inWindow(requests, w));
      return { counts: sets.map((s) => s.length), all: sets.flat() };
    };
    const summarize = (windows: readonly Window[]): BenchReport['requests']['go'] => {
      const { counts, all } = perJoin(windows);
      const totals = byVerbResource(all);
      const n = Math.max(1, windows.length);
      return {
        perJoin: median(counts),
        max: counts.length ? Math.max(...counts) : null,
        byVerbResource: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, round(v / n, 2)!])),
      };
    };
    const reqCli = summarize(cliWindows);
    const reqGo = summarize(goWindows);
    const reqEngine = summarize(warmOk);
    log(`section 5: requests per join: kubejoin ${reqCli.perJoin}, engine ${reqEngine.perJoin}, Go ${reqGo.perJoin}`);

    // Section 6: fleets.
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
            const rep2 = await worker(bundle.worker, { mode: 'fleet', endpoint: c.endpoint, tokenFile, caCertHash: c.caCertHash, prefix, dir, count: size, deviceFacts: false }, env).catch((err: Error) => {
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
          await settle(auditLog);
          const mine = inWindow(await audit.requests(), window);
          runResult.requestsPerJoin = mine.length / size;
          runResult.failedAnswers = failedAnswers(mine);
          runResult.requests = Object.fromEntries(Object.entries(byVerbResource(mine)).map(([k, v]) => [k, round(v / size, 2)!]));
          if (runResult.failedAnswers) runResult.failed = failedByKind(mine);
          fleet.push(runResult);
          await rm(dir, { recursive: true, force: true });
        }
      }
    }

    // The figures.
    const figures: Figure[] = [];
    const fig = (f: Omit<Figure, 'ratio'> & { ratio?: number | null }): void => {
      figures.push({ ...f, ratio: f.ratio ?? ratio(f.value, f.baseline) });
    };
    const mWall = { node: median(wall.node), cli: median(wall.cli), cliJson: median(wall['cli-json']), go: median(wall.go), version: median(wall.version) };
    const goTotal = median(goInProcess.map((p) => p.total));
    const engineTotal = median(warmOk.map((j) => j.durationMs));
    const mRss = { node: MiB(median(rss.node)), cli: MiB(median(rss.cli)), cliJson: MiB(median(rss['cli-json'])), go: MiB(median(rss.go)) };

    const cold = ratio(mWall.cli, mWall.go);
    fig({ id: 'cold.cli', section: 1, label: 'cold CLI join, wall', unit: 'ms', value: mWall.cli, baseline: mWall.go, baselineLabel: 'Go reference, cold', target: '<= 2.0x', met: cold !== null && cold <= 2.0 });
    fig({ id: 'cold.cli-vs-node', section: 1, label: 'cold CLI join, wall', unit: 'ms', value: mWall.cli, baseline: mWall.node, baselineLabel: 'node -e 0' });
    fig({ id: 'cold.cli-json', section: 1, label: 'cold CLI join -o json (+device facts), wall', unit: 'ms', value: mWall.cliJson, baseline: mWall.go, baselineLabel: 'Go reference, cold' });
    fig({ id: 'cold.go-vs-node', section: 1, label: 'Go reference join, wall', unit: 'ms', value: mWall.go, baseline: mWall.node, baselineLabel: 'node -e 0' });

    const warmRatio = ratio(engineTotal, goTotal);
    fig({ id: 'warm.total', section: 2, label: 'engine join, warm process', unit: 'ms', value: engineTotal, baseline: goTotal, baselineLabel: 'Go reference, in-process total', target: '<= 1.0x', met: warmRatio !== null && warmRatio <= 1.0 });
    const phaseOf = (j: WorkerJoin, ...ps: string[]): number => ps.reduce((s, p) => s + ((j.phaseDurationsMs as Record<string, number | undefined>)[p] ?? 0), 0);
    const phases: [string, string[], keyof GoSingle['phasesMs']][] = [
      ['discovery', ['validate', 'discover', 'verify-signature', 'pin-ca', 'verify-server'], 'discovery'],
      ['CSR (key + request)', ['request-certificate'], 'csr'],
      ['wait (approval + issue)', ['await-approval'], 'wait'],
      ['files (store)', ['store-credentials'], 'files'],
      ['verify (SelfSubjectReview)', ['verify-credentials'], 'verify'],
    ];
    for (const [label, enginePhases, goPhase] of phases) {
      fig({
        id: `warm.phase.${goPhase}`, section: 2, label: `  phase: ${label}`, unit: 'ms',
        value: median(warmOk.map((j) => phaseOf(j, ...enginePhases))), baseline: median(goInProcess.map((p) => p[goPhase])), baselineLabel: 'Go reference, same phase',
      });
    }

    const rssRatio = ratio(mRss.cli, mRss.node);
    fig({ id: 'rss.cli', section: 3, label: 'peak RSS, CLI join', unit: 'MiB', value: mRss.cli, baseline: mRss.node, baselineLabel: 'node -e 0', target: '<= 1.6x', met: rssRatio !== null && rssRatio <= 1.6 });
    fig({ id: 'rss.cli-json', section: 3, label: 'peak RSS, CLI join -o json', unit: 'MiB', value: mRss.cliJson, baseline: mRss.node, baselineLabel: 'node -e 0' });
    fig({ id: 'rss.cli-vs-go', section: 3, label: 'peak RSS, CLI join', unit: 'MiB', value: mRss.cli, baseline: mRss.go, baselineLabel: 'Go reference' });
    fig({ id: 'rss.go-vs-node', section: 3, label: 'peak RSS, Go reference', unit: 'MiB', value: mRss.go, baseline: mRss.node, baselineLabel: 'node -e 0' });

    const versionRatio = ratio(mWall.version, mWall.node);
    fig({ id: 'version', section: 4, label: 'kubejoin --version, wall', unit: 'ms', value: mWall.version, baseline: mWall.node, baselineLabel: 'node -e 0', target: '<= 2.0x', met: versionRatio !== null && versionRatio <= 2.0 });

    const reqOk = reqCli.perJoin !== null && reqGo.perJoin !== null && reqCli.perJoin <= reqGo.perJoin && reqCli.perJoin <= 5;
    fig({ id: 'requests.cli', section: 5, label: 'API requests per join (CLI)', unit: 'requests', value: reqCli.perJoin, baseline: reqGo.perJoin, baselineLabel: 'Go reference', target: "<= Go's and <= 5", met: reqOk });
    fig({ id: 'requests.engine', section: 5, label: 'API requests per join (engine, warm)', unit: 'requests', value: reqEngine.perJoin, baseline: reqGo.perJoin, baselineLabel: 'Go reference' });

    const single = reqCli.perJoin ?? 0;
    const largest = Math.max(...fleetSizes);
    for (const size of fleetSizes) {
      const at = (tool: FleetRun['tool']): FleetRun[] => fleet.filter((f) => f.tool === tool && f.size === size);
      const med = (tool: FleetRun['tool'], k: 'p50Ms' | 'p95Ms' | 'maxMs' | 'wallMs' | 'requestsPerJoin' | 'peakRssMiB'): number | null =>
        median(at(tool).map((f) => f[k]).filter((v): v is number => v !== null));
      const minOk = (tool: FleetRun['tool']): number | null => (at(tool).length ? Math.min(...at(tool).map((f) => f.succeeded)) : null);
      const isLargest = size === largest;
      const allOk = minOk('kubejoin') === size && at('kubejoin').length === fleetRuns;
      fig({ id: `fleet${size}.succeeded`, section: 6, label: `fleet ${size}: joins succeeded (worst run)`, unit: 'joins', value: minOk('kubejoin'), baseline: minOk('go'), baselineLabel: 'Go reference', ...(isLargest ? { target: `all ${size}`, met: allOk } : {}) });
      for (const k of ['p50Ms', 'p95Ms', 'maxMs'] as const) {
        fig({ id: `fleet${size}.${k}`, section: 6, label: `fleet ${size}: join time ${k.slice(0, -2)}`, unit: 'ms', value: med('kubejoin', k), baseline: med('go', k), baselineLabel: 'Go reference' });
      }
      const w = ratio(med('kubejoin', 'wallMs'), med('go', 'wallMs'));
      fig({ id: `fleet${size}.wall`, section: 6, label: `fleet ${size}: wall`, unit: 'ms', value: med('kubejoin', 'wallMs'), baseline: med('go', 'wallMs'), baselineLabel: 'Go reference', ...(isLargest ? { target: '<= 1.0x', met: w !== null && w <= 1.0 } : {}) });
      const rq = med('kubejoin', 'requestsPerJoin');
      const rqGo = med('go', 'requestsPerJoin');
      fig({
        id: `fleet${size}.requests`, section: 6, label: `fleet ${size}: API requests per join`, unit: 'requests', value: rq, baseline: rqGo, baselineLabel: 'Go reference',
        ...(isLargest ? { target: `<= Go's, <= 1.1x a single join (${single})`, met: rq !== null && rqGo !== null && rq <= rqGo && rq <= single * 1.1 } : {}),
      });
      fig({ id: `fleet${size}.rss`, section: 6, label: `fleet ${size}: client peak RSS`, unit: 'MiB', value: med('kubejoin', 'peakRssMiB'), baseline: med('go', 'peakRssMiB'), baselineLabel: 'Go reference' });
    }

    const goVersion = await promisify(execFile)('go', ['env', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).then((r) => r.stdout.trim(), () => 'unknown');
    return {
      meta: {
        date: new Date().toISOString(), quick, runs, fleetRuns, node: process.version, go: goVersion, kubernetes: c.version,
        cpus: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavgBefore, loadavgAfter: loadavg().map((n) => round(n, 2)!),
        controllerManagerFlags: KCM_FLAGS, rssMethod, deviceFactsWarm, deviceFactsFleet: false,
      },
      figures,
      requests: { kubejoin: reqCli, engine: reqEngine, go: reqGo },
      fleet,
      allSucceeded: failures.length === 0,
      failures,
      raw: { wallMs: wall, rssKiB: rss, goInProcessMs: goInProcess, engineWarm: warm.joins, engineWarmup: warm.warmup },
    };
  } finally {
    await cluster?.stop().catch(() => {});
    await bundle.remove();
    await rm(work, { recursive: true, force: true });
  }
}

async function worker(script: string, cfg: WorkerConfig, env: NodeJS.ProcessEnv): Promise<WorkerReport> {
  const r = await run(process.execPath, [script, JSON.stringify(cfg)], { env, timeoutMs: 15 * 60_000 });
  const report = lastJson<WorkerReport>(r.stdout);
  if (r.code !== 0 || !report) throw new Error(`engine worker (${cfg.mode}) exit ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
  return report;
}
