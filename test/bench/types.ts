// The benchmark's report: its figures, requests per join, fleet runs; and the JSON the Go
// reference (refjoin) and the CLI print.

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

export interface GoSingle {
  ok: boolean;
  phasesMs: { discovery: number; csr: number; wait: number; files: number; verify: number; total: number };
  error?: string;
  peakRssKiB?: number;
}
export interface GoFleet {
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
export interface CliResultEvent {
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
  /** The control plane's CPU time per join (utime + stime), ms. */
  cpuMsPerJoin?: Record<'kube-apiserver' | 'etcd' | 'kube-controller-manager', number>;
  /** How long the CPU was counted (the fleet and the audit log's settling): times the rest rate, what is not the fleet's. */
  cpuWindowMs?: number;
  /** New connections and TLS handshakes (full, resumed) per join, at the counting front. */
  handshakes?: { connections: number; full: number; resumed: number };
  /** Per join, by "verb resource code". */
  requestsByCode?: Record<string, number>;
}

/** Requests per join of single joins (the audit log) and their connections (the counting front). */
export interface RequestSummary {
  perJoin: number | null;
  max: number | null;
  byVerbResource: Record<string, number>;
  /** Per join, by "verb resource code". */
  byVerbResourceCode: Record<string, number>;
  handshakes: { connections: number; full: number; resumed: number };
}

export interface BenchReport {
  meta: {
    date: string;
    quick: boolean;
    runs: number;
    fleetRuns: number;
    node: string;
    /** The Node of the engine worker (sections 2 and 6). */
    engineNode: string;
    go: string;
    kubernetes: string;
    cpus: string;
    cores: number;
    loadavgBefore: number[];
    loadavgAfter: number[];
    controllerManagerFlags: string[];
    /** The control plane's CPU at rest before the fleets, ms per second of wall time. */
    idleCpuMsPerSec: Record<string, number>;
    clkTck: number;
    rssMethod: string;
    deviceFactsWarm: boolean;
    deviceFactsFleet: boolean;
  };
  figures: Figure[];
  requests: {
    kubejoin: RequestSummary;
    engine: RequestSummary;
    go: RequestSummary;
  };
  fleet: FleetRun[];
  /** Every join that was attempted succeeded (cold, warm, fleets). */
  allSucceeded: boolean;
  failures: string[];
  raw: Record<string, unknown>;
}
