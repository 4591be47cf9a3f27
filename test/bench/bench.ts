// kubejoin beside the official Go join path, on ONE local control plane:
//   1. cold CLI join wall: `node dist/cli.mjs join` (file store) vs refjoin vs `node -e 0`, on the
//      machine's Node and, when the packaging cache has it, on the supported runtime
//      (build/packages/versions.env) with a warm and with an empty compile cache
//   2. engine join in a warm process (its own phase timings) vs refjoin's in-process total
//   3. peak RSS of the join process (GNU time %M) vs `node -e 0` vs refjoin
//   4. `kubejoin --version` wall vs `node -e 0`
//   5. API requests per join by verb and resource, from the apiserver audit log
//   6. fleets of N joins at once in one process: the engine (Promise.all over join()) vs
//      `refjoin --count N`
//   8. kubectl through the keychain: `kubectl auth whoami` with the keychain kubeconfig (the
//      exec plugin runs every call) vs the file kubeconfig, in a keyring of the bench's own; the
//      packaged executable as the plugin too, when dist/packages has it
//   7. the packaged executable (npm run package): `--version` and a cold join beside
//      `node -e 0` (the system's and its own runtime's), the Go path and the current CLI;
//      peak RSS; the deb's size. Skipped, with the reason printed, when it is not built.
//   9. the cluster's cost per join: kube-apiserver, etcd and controller-manager CPU time over
//      each fleet (/proc/<pid>/stat), connections and TLS handshakes (full, resumed) at a
//      counting front of ours (front.ts), requests by verb, resource and code (cost.ts)
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
import { AuditReader, byVerbResource, inWindow, settle, type Request, type Window } from './audit.js';
import { bundleEngineWorker } from './bundle.js';
import { costFigures } from './cost-figures.js';
import { byVerbResourceCode, CLK_TCK, componentPids, handshakesPerJoin, idleCpuRate, serveClusterInfoVia } from './cost.js';
import { startFront, type Front } from './front.js';
import { worker, type BenchContext } from './context.js';
import { figuresOf } from './figures.js';
import { runFleets } from './fleet.js';
import { kubectlSection } from './kubectl.js';
import { compileCacheEnv, compileCacheFiles, hasGnuTime, lastJson, run, runWithPeakRss, type Ran } from './measure.js';
import { findPackaged, installedCopy, packagedFigures } from './packaged.js';
import { ensureRefjoin } from './refjoin.js';
import { median, round } from './stats.js';
import type { BenchOptions, BenchReport, CliResultEvent, GoSingle } from './types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.mjs');
export const KCM_FLAGS = ['--kube-api-qps=500', '--kube-api-burst=1000'];
/** The audit log must not rotate during the run (the default rotates at 100 MB). */
const APISERVER_FLAGS = ['--audit-log-maxsize=100000'];
const WARMUP_JOINS = 2;

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
  let front: Front | undefined;
  try {
    log(`starting a control plane (audit log at level Metadata; controller-manager ${KCM_FLAGS.join(' ')})`);
    cluster = await startCluster({ audit: true, apiserverFlags: APISERVER_FLAGS, controllerManagerFlags: KCM_FLAGS, log: (l) => log(`  ${l}`) });
    const c = cluster;
    const auditLog = c.auditLog;
    if (!auditLog) throw new Error('the bench cluster has no audit log');
    const audit = new AuditReader(auditLog);
    const token = await c.createToken({ description: 'kubejoin bench' });
    const tokenId = token.split('.')[0]!;
    // Every joining client connects through a counting front of ours (TLS handshakes, section 9):
    // it is the endpoint they are given and the server that cluster-info names.
    front = await startFront(Number(c.endpoint.split(':').at(-1)));
    const endpoint = front.endpoint;
    await serveClusterInfoVia(c, endpoint, token);
    await c.waitForSignature(tokenId);
    const pids = componentPids(c.stateDir);
    const tokenFile = join(work, 'token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    log(`bootstrap token ${tokenId}.<secret> signed into cluster-info`);

    const env = { ...process.env };
    delete env.KUBEJOIN_TOKEN;
    const node = process.execPath;
    let seq = 0;
    const cliArgs = (name: string, json: boolean): string[] => [
      CLI, 'join', endpoint, '--token-file', tokenFile, '--discovery-token-ca-cert-hash', c.caCertHash,
      '--node-name', name, '--store', 'file', '--cert-dir', join(work, name), '--kubeconfig-out', join(work, name, 'kubelet.conf'),
      ...(json ? ['-o', 'json'] : []),
    ];
    const goArgs = (name: string, extra: string[] = []): string[] => [
      endpoint, '--token-file', tokenFile, '--discovery-token-ca-cert-hash', c.caCertHash, '--node-name', name, '--cert-dir', join(work, name), ...extra,
    ];
    const pkg = findPackaged();
    const engineNode = pkg.runtimeNode ? { path: pkg.runtimeNode, version: `v${pkg.runtimeVersion!}` } : { path: process.execPath, version: process.version };
    const ctx: BenchContext = { c, endpoint, front, pids, auditLog, audit, work, env, tokenFile, refjoin, bundle, engineNode, failures, log, goArgs };
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
    type Kind = 'node' | 'cli' | 'cli-json' | 'go' | 'version' | 'cli-rt' | 'cli-rt-first' | 'pkg-node' | 'pkg-version' | 'pkg-cli';
    if (pkg.missing.length) log(`section 7 (packaged executable) is partly or wholly skipped: missing ${pkg.missing.join('; ')}`);
    if (!pkg.runtimeNode) {
      log('section 1: the npm CLI on the supported runtime is skipped: it is not in the packaging cache (build/packages/node-runtime.sh)');
      log(`sections 2 and 6: the engine runs on this process's node ${process.version} instead`);
    }
    if (pkg.exe) pkg.exe = await installedCopy(pkg.exe, join(work, 'packaged'));
    const KINDS: Kind[] = [
      'node', 'cli', 'cli-json', 'go', 'version',
      ...(pkg.runtimeNode ? (['cli-rt', 'cli-rt-first'] as const) : []),
      ...(pkg.runtimeNode ? (['pkg-node'] as const) : []),
      ...(pkg.exe ? (['pkg-version', 'pkg-cli'] as const) : []),
    ];
    const wall: Record<Kind, number[]> = { node: [], cli: [], 'cli-json': [], go: [], version: [], 'cli-rt': [], 'cli-rt-first': [], 'pkg-node': [], 'pkg-version': [], 'pkg-cli': [] };
    const rss: Record<Kind, number[]> = { node: [], cli: [], 'cli-json': [], go: [], version: [], 'cli-rt': [], 'cli-rt-first': [], 'pkg-node': [], 'pkg-version': [], 'pkg-cli': [] };
    const goInProcess: GoSingle['phasesMs'][] = [];
    const cliWindows: Window[] = [];
    const goWindows: Window[] = [];
    const once = async (kind: Kind, measure: 'wall' | 'rss' | false): Promise<void> => {
      const name = `${kind}-${measure || 'warmup'}-${seq++}`;
      const exec = (cmd: string, args: string[], e = env): Promise<Ran & { peakRssKiB?: number | null }> => (measure === 'rss' ? runWithPeakRss(cmd, args, { env: e }) : run(cmd, args, { env: e }));
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
        case 'cli-rt':
        case 'cli-rt-first': {
          // Its compile cache: one for every run (the warm-up round fills it), or a new one each time.
          const cacheHome = join(work, kind === 'cli-rt' ? 'cache-warm' : `cache-${name}`);
          r = await exec(pkg.runtimeNode!, cliArgs(name, false), compileCacheEnv(env, cacheHome));
          if (!checkCli(r, name, false)) return;
          if (compileCacheFiles(cacheHome) === 0) failures.push(`CLI join ${name} on node ${pkg.runtimeVersion}: no compile cache written in ${cacheHome}`);
          break;
        }
        case 'pkg-node':
          r = await exec(pkg.runtimeNode!, ['-e', '0']);
          break;
        case 'pkg-version':
          r = await exec(pkg.exe!, ['--version']);
          if (r.code !== 0) failures.push(`packaged kubejoin --version: exit ${r.code}`);
          break;
        case 'pkg-cli':
          r = await exec(pkg.exe!, cliArgs(name, false).slice(1));
          if (!checkCli(r, name, false)) return;
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

    // Section 8: kubectl through the keychain (cold processes too, so before the warm sections).
    const packaged = pkg.exe ? { exe: pkg.exe, runtimeNode: pkg.runtimeNode } : { skipped: `missing ${pkg.missing.join('; ')}` };
    const kubectl = await kubectlSection({ c, endpoint, cli: CLI, packaged, work, tokenFile, rounds: runs * 4, failures, log });
    if (kubectl.skipped) log(`section 8 skipped: ${kubectl.skipped}`);

    // Section 2: the engine in a warm process.
    log(`section 2: ${runs} engine join(s) in a warm process on node ${engineNode.version} (after ${WARMUP_JOINS} warm-up joins; device facts ${deviceFactsWarm ? 'on' : 'off'})`);
    const warm = await worker(engineNode.path, bundle.worker, {
      mode: 'warm', endpoint, tokenFile, caCertHash: c.caCertHash, prefix: 'engine-warm', dir: work, runs, warmup: WARMUP_JOINS, deviceFacts: deviceFactsWarm,
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
        byVerbResourceCode: byVerbResourceCode(all, windows.length),
        handshakes: handshakesPerJoin(front!.connections(), windows, windows.length),
      };
    };
    const reqCli = summarize(cliWindows);
    const reqGo = summarize(goWindows);
    const reqEngine = summarize(warmOk);
    log(`section 5: requests per join: kubejoin ${reqCli.perJoin}, engine ${reqEngine.perJoin}, Go ${reqGo.perJoin}`);

    // Section 6: fleets (and section 9: the cluster's CPU time over each).
    const idleCpuMsPerSec = await idleCpuRate(pids);
    log(`the control plane's CPU at rest, ms per s: ${JSON.stringify(idleCpuMsPerSec)}`);
    const fleet = await runFleets(ctx, fleetSizes, fleetRuns);

    const nodes = { machine: process.version, ...(pkg.runtimeNode ? { runtime: pkg.runtimeVersion! } : {}) };
    const figures = figuresOf({ wall, rss, nodes, goInProcess, warmOk, reqCli, reqEngine, reqGo, fleet, fleetSizes, fleetRuns });

    // Section 7: the packaged executable.
    figures.push(...packagedFigures(pkg, wall, rss));
    figures.push(...kubectl.figures);
    figures.push(...costFigures({ handshakes: reqCli.handshakes, requests: reqCli.perJoin }, { handshakes: reqGo.handshakes, requests: reqGo.perJoin }, fleet, fleetSizes));

    const goVersion = await promisify(execFile)('go', ['env', 'GOVERSION'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }).then((r) => r.stdout.trim(), () => 'unknown');
    return {
      meta: {
        date: new Date().toISOString(), quick, runs, fleetRuns, node: process.version, engineNode: engineNode.version, go: goVersion, kubernetes: c.version,
        cpus: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadavgBefore, loadavgAfter: loadavg().map((n) => round(n, 2)!),
        controllerManagerFlags: KCM_FLAGS, idleCpuMsPerSec, clkTck: CLK_TCK, rssMethod, deviceFactsWarm, deviceFactsFleet: false,
      },
      figures,
      requests: { kubejoin: reqCli, engine: reqEngine, go: reqGo },
      fleet,
      allSucceeded: failures.length === 0,
      failures,
      raw: { wallMs: wall, rssKiB: rss, kubectlMs: kubectl.raw, goInProcessMs: goInProcess, engineWarm: warm.joins, engineWarmup: warm.warmup },
    };
  } finally {
    await front?.close();
    await cluster?.stop().catch(() => {});
    await bundle.remove();
    await rm(work, { recursive: true, force: true });
  }
}
