// Section 9 of the benchmark: the cluster's cost per join, kubejoin beside the Go path in the
// same run. Targets (at most Go's) on the single cold join and on the largest fleet.
import type { Handshakes } from './cost.js';
import { median, ratio } from './stats.js';
import type { Figure, FleetRun } from './types.js';

export interface SingleCost {
  handshakes: Handshakes;
  requests: number | null;
}

export function costFigures(cli: SingleCost, go: SingleCost, fleet: readonly FleetRun[], fleetSizes: readonly number[]): Figure[] {
  const figures: Figure[] = [];
  const atMostGo = (f: Omit<Figure, 'ratio' | 'target' | 'met'>, target: boolean): void => {
    const r = ratio(f.value, f.baseline);
    figures.push({ ...f, ratio: r, ...(target ? { target: "<= Go's", met: f.value !== null && f.baseline !== null && f.value <= f.baseline } : {}) });
  };
  atMostGo({ id: 'cost.cli.handshakes', section: 9, label: 'cluster cost, cold CLI join: full TLS handshakes per join', unit: 'x', value: cli.handshakes.full, baseline: go.handshakes.full, baselineLabel: 'Go reference, cold' }, true);
  atMostGo({ id: 'cost.cli.connections', section: 9, label: 'cluster cost, cold CLI join: connections per join', unit: 'x', value: cli.handshakes.connections, baseline: go.handshakes.connections, baselineLabel: 'Go reference, cold' }, false);
  atMostGo({ id: 'cost.cli.requests', section: 9, label: 'cluster cost, cold CLI join: requests per join', unit: 'requests', value: cli.requests, baseline: go.requests, baselineLabel: 'Go reference, cold' }, true);

  const largest = Math.max(...fleetSizes);
  for (const size of fleetSizes) {
    const runs = (tool: FleetRun['tool']): FleetRun[] => fleet.filter((f) => f.tool === tool && f.size === size);
    const med = (tool: FleetRun['tool'], pick: (f: FleetRun) => number | undefined): number | null =>
      median(runs(tool).map(pick).filter((v): v is number => typeof v === 'number'));
    const both = (id: string, label: string, unit: Figure['unit'], pick: (f: FleetRun) => number | undefined, target: boolean): void =>
      atMostGo({ id: `fleet${size}.${id}`, section: 9, label: `cluster cost, fleet ${size}: ${label}`, unit, value: med('kubejoin', pick), baseline: med('go', pick), baselineLabel: 'Go reference' }, target && size === largest);
    both('apiserver-cpu', 'kube-apiserver CPU per join', 'ms', (f) => f.cpuMsPerJoin?.['kube-apiserver'], true);
    both('etcd-cpu', 'etcd CPU per join', 'ms', (f) => f.cpuMsPerJoin?.etcd, true);
    both('kcm-cpu', 'kube-controller-manager CPU per join', 'ms', (f) => f.cpuMsPerJoin?.['kube-controller-manager'], false);
    both('handshakes', 'full TLS handshakes per join', 'x', (f) => f.handshakes?.full, true);
    both('connections', 'connections per join', 'x', (f) => f.handshakes?.connections, false);
  }
  return figures;
}
