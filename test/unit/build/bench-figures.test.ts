import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { figuresOf, type Measured } from '../../bench/figures.js';

// The bench's section 1 figures from made-up samples: `-o json` over text is the median of the
// per-round differences (docs/performance.md, "Method"), not the difference of two medians.

function measured(cli: number[], json: number[]): Measured {
  const kinds = ['node', 'cli', 'cli-json', 'go', 'version', 'cli-rt', 'cli-rt-first'] as const;
  const wall = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Measured['wall'];
  const rss = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Measured['rss'];
  wall.cli = cli;
  wall['cli-json'] = json;
  wall.go = cli.map(() => 70);
  const none = { perJoin: null, byKind: {} } as unknown as Measured['reqCli'];
  return {
    wall,
    rss,
    nodes: { machine: 'v20.20.2' },
    goInProcess: [],
    warmOk: [],
    reqCli: none,
    reqEngine: none,
    reqGo: none,
    fleet: [],
    fleetSizes: [10],
    fleetRuns: 1,
  };
}

const jsonFigure = (m: Measured) => figuresOf(m).find((f) => f.id === 'cold.cli-json-vs-text')!;

describe('bench figures: -o json over text', () => {
  it('valid: rounds whose load moves both alike meet the target although the medians differ by more', () => {
    // Per round json - text: +5, +5, +5, +5, +5 ms; medians 200 vs 225 (the load moved between rounds).
    const f = jsonFigure(measured([150, 180, 200, 240, 260], [155, 185, 225, 245, 265]));
    assert.equal(f.met, true);
    assert.match(f.label, /paired per round: \+5\.0 ms/);
  });

  it('invalid: a join that is slower with -o json in every round misses it', () => {
    const f = jsonFigure(measured([150, 180, 200, 240, 260], [170, 200, 215, 260, 290]));
    assert.equal(f.met, false);
    assert.match(f.label, /\+20\.0 ms/);
  });

  it('invalid: samples that cannot be paired (a failed run) give no figure, not a pass', () => {
    const f = jsonFigure(measured([150, 180, 200], [155, 185]));
    assert.equal(f.met, false);
    assert.match(f.label, /n\/a/);
  });
});
