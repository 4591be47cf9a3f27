// Section 2 of the bench alone (docs/performance.md, "Method" → "Warm engine"), against a
// running control plane instead of one of its own, for work on the warm join:
//   npx tsx test/bench/warm.ts [--cluster DIR | --fresh] [--runs N] [--warmup N] [--base REV]
//                              [--no-device-facts] [--cpu-prof DIR] [--out FILE]
// The bench's method: the engine bundled like the CLI (bundle.ts) in a process of its own,
// `warmup` joins first (default 2), then `runs` joins, each with its own phaseDurationsMs;
// the Go path is refjoin, cold, its in-process phase timings. Here the rounds interleave: each
// round runs one join of every contender, the order rotating, so that the load of the shared
// machine hits them alike. --base REV adds the engine of another commit (its agent/ from
// `git archive`, driven by this worker) as a third contender: a change measured before/after in
// the same rounds. The joins connect to the apiserver directly (the bench goes through its
// counting front, one more loopback hop for every contender; the shared cluster's cluster-info
// is not ours to change). A shared test cluster's cluster-info carries a signature for every
// token its tests made, so discovery there parses far more than in the bench; --fresh starts a
// control plane of its own as the bench does (controller-manager KCM_FLAGS) and stops it after.
// --cpu-prof writes each engine worker's CPU profile into DIR.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attachCluster, startCluster } from '../harness/index.js';
import { KCM_FLAGS } from './bench.js';
import { bundleEngineWorker, type Bundle } from './bundle.js';
import type { WorkerConfig, WorkerJoin } from './engine-worker.js';
import { asGoPhases, GO_PHASES } from './figures.js';
import { lastJson, run } from './measure.js';
import { ensureRefjoin } from './refjoin.js';
import { median, ratio, round } from './stats.js';
import type { GoSingle } from './types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    cluster: { type: 'string', default: process.env.KUBEJOIN_TEST_CLUSTER ?? '/tmp/kj-cluster' },
    fresh: { type: 'boolean', default: false },
    runs: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '2' },
    base: { type: 'string' },
    'no-device-facts': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    out: { type: 'string' },
  },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const log = (l: string): void => void process.stderr.write(`[warm] ${l}\n`);
type Phases = GoSingle['phasesMs'];

/** An engine worker in serve mode: one join per line written, one JSON line back. */
class Served {
  private readonly lines: AsyncIterator<string>;
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
    child.on('exit', (code) => code && log(`engine worker exited ${code}: ${stderr.trim()}`));
  }
  async next(): Promise<WorkerJoin> {
    const r = await this.lines.next();
    if (r.done) throw new Error('the engine worker ended early');
    return JSON.parse(r.value) as WorkerJoin;
  }
  join(node: string): Promise<WorkerJoin> {
    this.child.stdin.write(`${node}\n`);
    return this.next();
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.on('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}

/** The engine of commit `rev`: its agent/ and build/ beside this worker, under .state/ (gitignored). */
function baseCheckout(rev: string): string {
  const dir = join(ROOT, '.state', 'bench', `base-${process.pid}`);
  mkdirSync(join(dir, 'test', 'bench'), { recursive: true });
  const tar = execFileSync('git', ['archive', rev, 'agent', 'build', 'package.json', 'tsconfig.json'], { cwd: ROOT, maxBuffer: 256 << 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  copyFileSync(join(ROOT, 'test', 'bench', 'engine-worker.ts'), join(dir, 'test', 'bench', 'engine-worker.ts'));
  return dir;
}

const loadBefore = loadavg().map((n) => round(n, 2)!);
const c = values.fresh ? await startCluster({ controllerManagerFlags: KCM_FLAGS }) : await attachCluster(values.cluster);
const refjoin = await ensureRefjoin(log);
const work = await mkdtemp(join(tmpdir(), 'kubejoin-warm-'));
const token = await c.signedToken({ description: 'kubejoin warm bench' });
const tokenFile = join(work, 'token');
await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
const env = { ...process.env };
delete env.KUBEJOIN_TOKEN;
const tag = `w${process.pid}`;
const bundles: Bundle[] = [];
const engines: { name: string; served: Served }[] = [];
const baseDir = values.base ? baseCheckout(values.base) : undefined;
const failures: string[] = [];
try {
  for (const [name, root] of [['engine', ROOT], ...(baseDir ? [[`base ${values.base}`, baseDir]] : [])] as [string, string][]) {
    const bundle = await bundleEngineWorker(root);
    bundles.push(bundle);
    const cfg: WorkerConfig = {
      mode: 'serve', endpoint: c.endpoint, tokenFile, caCertHash: c.caCertHash, prefix: `${tag}-${engines.length}`, dir: work, warmup, deviceFacts: !values['no-device-facts'],
    };
    const prof = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(values['cpu-prof'], name.replace(/\W+/g, '-'))] : [];
    const served = new Served(spawn(process.execPath, [...prof, bundle.worker, JSON.stringify(cfg)], { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    for (let i = 0; i < warmup; i++) {
      const w = await served.next();
      if (!w.ok) failures.push(`${name} warm-up ${w.node}: ${w.error}`);
    }
    engines.push({ name, served });
  }
  // Go's warm-up: one cold run (page cache), not counted.
  const goJoin = async (node: string): Promise<Phases | undefined> => {
    const r = await run(refjoin, [c.endpoint, '--token-file', tokenFile, '--discovery-token-ca-cert-hash', c.caCertHash, '--node-name', node, '--cert-dir', join(work, node)], { env });
    const out = lastJson<GoSingle>(r.stdout);
    if (r.code === 0 && out?.ok) return out.phasesMs;
    failures.push(`refjoin ${node}: exit ${r.code}: ${out?.error ?? r.stderr.trim().slice(0, 300)}`);
    return undefined;
  };
  await goJoin(`${tag}-go-warmup`);
  const names = ['Go', ...engines.map((e) => e.name)];
  const samples: Record<string, Phases[]> = Object.fromEntries(names.map((n) => [n, []]));
  /** Per round, the engine's phases minus the base's (--base): paired, so the load of that round cancels. */
  const diffs: Phases[] = [];
  log(`${runs} round(s) of ${names.join(', ')} against ${values.fresh ? 'a fresh cluster' : values.cluster} (${c.endpoint}), after ${warmup} warm-up join(s) each; load ${loadBefore.join(' ')}`);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length]!;
      const node = `${tag}-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${i}`;
      const engine = engines.find((e) => e.name === name);
      if (!engine) {
        const p = await goJoin(node);
        if (p) samples[name]!.push(p);
        continue;
      }
      const j = await engine.served.join(node);
      if (j.ok) samples[name]!.push(asGoPhases(j));
      else failures.push(`${name} ${node}: ${j.error}`);
    }
    const [a, b] = engines.map((e) => samples[e.name]!);
    if (a?.length === i + 1 && b?.length === i + 1) diffs.push(Object.fromEntries(Object.keys(a[i]!).map((k) => [k, a[i]![k as keyof Phases] - b[i]![k as keyof Phases]])) as Phases);
  }
  const loadAfter = loadavg().map((n) => round(n, 2)!);
  const med = (name: string, k: keyof Phases): number | null => round(median(samples[name]!.map((p) => p[k])), 2);
  const keys: (keyof Phases)[] = [...GO_PHASES.map(([k]) => k), 'total'];
  const rows = [['phase (median ms)', ...names, ...engines.map((e) => `${e.name}/Go`)]];
  for (const k of keys) rows.push([k, ...names.map((n) => String(med(n, k))), ...engines.map((e) => `${round(ratio(med(e.name, k), med('Go', k)), 2)}x`)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(`${rows.map((r) => r.map((s, i) => s.padEnd(widths[i]!)).join('  ')).join('\n')}\n`);
  const paired = keys.map((k) => `${k} ${round(median(diffs.map((d) => d[k])), 1)}`).join(', ');
  if (diffs.length) process.stdout.write(`${names[1]} - ${names[2]}, median of the ${diffs.length} paired differences (ms): ${paired}\n`);
  process.stdout.write(`rounds ${runs} (${names.map((n) => `${n} ${samples[n]!.length} ok`).join(', ')}); load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')}\n`);
  for (const f of failures) process.stdout.write(`FAILED: ${f}\n`);
  if (values.out) await writeFile(values.out, `${JSON.stringify({ runs, warmup, loadBefore, loadAfter, samples, failures }, null, 2)}\n`);
  process.exitCode = failures.length ? 1 : 0;
} catch (err) {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
} finally {
  await Promise.all(engines.map((e) => e.served.close()));
  await Promise.all(bundles.map((b) => b.remove()));
  if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
  await c.deleteToken(token.split('.')[0]!).catch(() => undefined);
  // An attached cluster is shared: never its stop() (attachCluster's would end it). The admin
  // client keeps a connection open, so the exit is explicit.
  if (values.fresh) await c.stop();
  process.exit();
}
