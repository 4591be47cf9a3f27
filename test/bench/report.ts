// The benchmark's table for people; the same figures go to bench/results.json.
import type { BenchReport, Figure } from './types.js';

const fmt = (v: number | null, unit: Figure['unit']): string => {
  if (v === null) return 'n/a';
  switch (unit) {
    case 'ms':
      return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ms`;
    case 'MiB':
      return `${v.toFixed(1)} MiB`;
    case 'requests':
    case 'x':
      return Number.isInteger(v) ? String(v) : v.toFixed(2);
    default:
      return String(v);
  }
};

export function table(report: BenchReport): string {
  const rows: string[][] = [['#', 'figure', 'kubejoin', 'baseline', 'ratio', 'target', 'met']];
  for (const f of report.figures) {
    rows.push([
      String(f.section),
      f.label,
      fmt(f.value, f.unit),
      `${fmt(f.baseline, f.unit)} (${f.baselineLabel})`,
      f.ratio === null ? 'n/a' : `${f.ratio.toFixed(2)}x`,
      f.target ?? '',
      f.met === undefined ? '' : f.met ? 'yes' : 'NO',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];

  const req = report.requests;
  out.push('', 'API requests per join, by verb and resource (section 5):');
  for (const [tool, r] of [['kubejoin CLI', req.kubejoin], ['engine (warm)', req.engine], ['Go reference', req.go]] as const) {
    out.push(`  ${tool}: ${r.perJoin ?? 'n/a'} (max ${r.max ?? 'n/a'}): ${Object.entries(r.byVerbResourceCode).map(([k, v]) => `${k} x${v}`).join(', ')}`);
    const h = r.handshakes;
    out.push(`    connections per join ${h.connections}: full TLS handshakes ${h.full}, resumed sessions ${h.resumed}`);
  }
  if (report.fleet.length) {
    out.push('', 'Fleet runs (section 6):');
    for (const f of report.fleet) {
      out.push(
        `  ${f.tool.padEnd(8)} n=${String(f.size).padEnd(4)} ok ${f.succeeded}/${f.size}  p50 ${fmt(f.p50Ms, 'ms')}  p95 ${fmt(f.p95Ms, 'ms')}  max ${fmt(f.maxMs, 'ms')}  wall ${fmt(f.wallMs, 'ms')}` +
          `  req/join ${f.requestsPerJoin.toFixed(2)} (non-2xx ${f.failedAnswers})  RSS ${fmt(f.peakRssMiB, 'MiB')}`,
      );
      const cpu = f.cpuMsPerJoin;
      const h = f.handshakes;
      if (cpu && h) {
        out.push(
          `           per join: CPU apiserver ${fmt(cpu['kube-apiserver'], 'ms')}, etcd ${fmt(cpu.etcd, 'ms')}, controller-manager ${fmt(cpu['kube-controller-manager'], 'ms')};` +
            ` connections ${h.connections}, full TLS ${h.full}, resumed ${h.resumed}`,
        );
      }
      if (f.requestsByCode) out.push(`           requests per join: ${Object.entries(f.requestsByCode).map(([k, v]) => `${k} x${v}`).join(', ')}`);
      if (f.failed) out.push(`           non-2xx: ${Object.entries(f.failed).map(([k, v]) => `${k} x${v}`).join(', ')}`);
    }
  }
  const m = report.meta;
  out.push(
    '',
    `${m.quick ? 'QUICK (one run, small fleet): no figure here is a measurement. ' : ''}Medians over ${m.runs} run(s) (fleets: ${m.fleetRuns}); node ${m.node} (engine: ${m.engineNode}), ${m.go}, Kubernetes ${m.kubernetes}; ` +
      `${m.cores} x ${m.cpus}; load average before ${m.loadavgBefore.join(' ')}, after ${m.loadavgAfter.join(' ')}.`,
    `Cluster cost (section 9): CPU = utime + stime of each component (/proc/<pid>/stat, CLK_TCK ${m.clkTck}) over each fleet, not net of its rest rate ` +
      `(ms per s: ${Object.entries(m.idleCpuMsPerSec).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}); TLS at a counting front before the apiserver.`,
    `Controller-manager: ${m.controllerManagerFlags.join(' ')}. Peak RSS: ${m.rssMethod}. Device facts: warm engine ${m.deviceFactsWarm ? 'on' : 'off'}, fleet off.`,
  );
  if (report.failures.length) out.push('', `FAILED JOINS (${report.failures.length}):`, ...report.failures.map((f) => `  ${f}`));
  else out.push('Every join succeeded.');
  return out.join('\n');
}
