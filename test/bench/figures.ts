// The benchmark's table: each measurement as a figure beside its baseline, with the
// target where it has one (docs/performance.md).
import { readFileSync } from 'node:fs';
import type { WorkerJoin } from './engine-worker.js';
import { median, MiB, ratio } from './stats.js';
import type { BenchReport, Figure, FleetRun, GoSingle } from './types.js';

/** Cold kinds: `cli-rt` is the npm CLI on the supported runtime with a warm compile cache, `cli-rt-first` with an empty one. */
type ColdKind = 'node' | 'cli' | 'cli-json' | 'go' | 'version' | 'cli-rt' | 'cli-rt-first';

const ENGINES = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;

/** Whether Node `version` (e.g. v20.20.2) is one package.json's `engines` (">=x.y.z") supports. */
export function supportedNode(version: string, engines = ENGINES): boolean {
  const min = />=\s*v?(\d+)\.(\d+)\.(\d+)/.exec(engines)?.slice(1).map(Number);
  const have = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version)?.slice(1).map(Number);
  if (!min || !have) return false;
  const i = have.findIndex((n, k) => n !== min[k]);
  return i < 0 || have[i]! > min[i]!;
}

type GoPhases = GoSingle['phasesMs'];

/** The engine's phases grouped as the Go path's five (refjoin's phasesMs), with their labels. */
export const GO_PHASES: readonly (readonly [Exclude<keyof GoPhases, 'total'>, string, readonly string[]])[] = [
  ['discovery', 'discovery', ['validate', 'discover', 'verify-signature', 'pin-ca', 'verify-server']],
  ['csr', 'CSR (key + request)', ['request-certificate']],
  ['wait', 'wait (approval + issue)', ['await-approval']],
  ['files', 'files (store)', ['store-credentials']],
  ['verify', 'verify (SelfSubjectReview)', ['verify-credentials']],
];

/** One engine join's phase durations in the Go path's five, and its total. */
export function asGoPhases(j: WorkerJoin): GoPhases {
  const d = j.phaseDurationsMs as Record<string, number | undefined>;
  const out = { total: j.durationMs } as GoPhases;
  for (const [go, , engine] of GO_PHASES) out[go] = engine.reduce((sum, p) => sum + (d[p] ?? 0), 0);
  return out;
}

export interface Measured {
  wall: Record<ColdKind, number[]>;
  rss: Record<ColdKind, number[]>;
  /** The Node versions the npm CLI ran on: the machine's (the bench's own) and the supported runtime's, when it was there. */
  nodes: { machine: string; runtime?: string };
  goInProcess: GoSingle['phasesMs'][];
  warmOk: WorkerJoin[];
  reqCli: BenchReport['requests']['kubejoin'];
  reqEngine: BenchReport['requests']['engine'];
  reqGo: BenchReport['requests']['go'];
  fleet: FleetRun[];
  fleetSizes: readonly number[];
  fleetRuns: number;
}

export function figuresOf(m: Measured): Figure[] {
  const { wall, rss, goInProcess, warmOk, reqCli, reqEngine, reqGo, fleet, fleetSizes, fleetRuns } = m;
  const figures: Figure[] = [];
  const fig = (f: Omit<Figure, 'ratio'> & { ratio?: number | null }): void => {
    figures.push({ ...f, ratio: f.ratio ?? ratio(f.value, f.baseline) });
  };
  const mWall = { node: median(wall.node), cli: median(wall.cli), cliJson: median(wall['cli-json']), go: median(wall.go), version: median(wall.version) };
  const goTotal = median(goInProcess.map((p) => p.total));
  const engineTotal = median(warmOk.map((j) => j.durationMs));
  const mRss = { node: MiB(median(rss.node)), cli: MiB(median(rss.cli)), cliJson: MiB(median(rss['cli-json'])), go: MiB(median(rss.go)) };

  // The npm CLI's target, <= 2.5x the Go path, holds on a runtime package.json's engines
  // supports; on another (a machine's Node 20) the row is information only.
  const cliTarget = (value: number | null): Pick<Figure, 'target' | 'met'> => {
    const r = ratio(value, mWall.go);
    return { target: '<= 2.5x', met: r !== null && r <= 2.5 };
  };
  const machine = `cold CLI join, node ${m.nodes.machine} (this machine's), wall`;
  const onMachine = { section: 1, label: machine, unit: 'ms', value: mWall.cli } as const;
  fig({ ...onMachine, id: 'cold.cli', baseline: mWall.go, baselineLabel: 'Go reference, cold', ...(supportedNode(m.nodes.machine) ? cliTarget(mWall.cli) : {}) });
  fig({ ...onMachine, id: 'cold.cli-vs-node', baseline: mWall.node, baselineLabel: 'node -e 0' });
  if (m.nodes.runtime !== undefined) {
    const rt = `cold CLI join, node v${m.nodes.runtime.replace(/^v/, '')}`;
    const [warm, first] = [median(wall['cli-rt']), median(wall['cli-rt-first'])];
    const go = { section: 1, unit: 'ms', baseline: mWall.go, baselineLabel: 'Go reference, cold' } as const;
    fig({ ...go, id: 'cold.cli-supported', label: `${rt} (supported runtime), warm compile cache, wall`, value: warm, ...cliTarget(warm) });
    fig({ ...go, id: 'cold.cli-supported-first', label: `${rt}, first run (empty compile cache), wall`, value: first, ...cliTarget(first) });
  }
  fig({ id: 'cold.cli-json', section: 1, label: 'cold CLI join -o json (+device facts), wall', unit: 'ms', value: mWall.cliJson, baseline: mWall.go, baselineLabel: 'Go reference, cold' });
  // What -o json adds is the median of the per-round differences: both joins of a round run
  // back to back under the same load, which the difference of two medians does not cancel.
  const paired = wall.cli.length === wall['cli-json'].length ? wall['cli-json'].map((v, i) => v - wall.cli[i]!) : [];
  const jsonExtra = median(paired);
  const extra = jsonExtra === null ? 'n/a' : `${jsonExtra >= 0 ? '+' : ''}${jsonExtra.toFixed(1)} ms`;
  fig({
    id: 'cold.cli-json-vs-text', section: 1, label: `cold CLI join -o json, wall (over text, paired per round: ${extra})`, unit: 'ms', value: mWall.cliJson, baseline: mWall.cli,
    baselineLabel: 'the same join, text', target: '<= +10 ms', met: jsonExtra !== null && jsonExtra <= 10,
  });
  fig({ id: 'cold.go-vs-node', section: 1, label: 'Go reference join, wall', unit: 'ms', value: mWall.go, baseline: mWall.node, baselineLabel: 'node -e 0' });

  const warmRatio = ratio(engineTotal, goTotal);
  fig({ id: 'warm.total', section: 2, label: 'engine join, warm process', unit: 'ms', value: engineTotal, baseline: goTotal, baselineLabel: 'Go reference, in-process total', target: '<= 1.0x', met: warmRatio !== null && warmRatio <= 1.0 });
  for (const [goPhase, label] of GO_PHASES) {
    fig({
      id: `warm.phase.${goPhase}`, section: 2, label: `  phase: ${label}`, unit: 'ms',
      value: median(warmOk.map((j) => asGoPhases(j)[goPhase])), baseline: median(goInProcess.map((p) => p[goPhase])), baselineLabel: 'Go reference, same phase',
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
  return figures;
}
