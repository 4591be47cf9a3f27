// npm run bench [-- --quick] [--runs N] [--fleet 50,200,500] [--fleet-runs N] [--no-device-facts] [--out FILE]
// Prints the table and writes the same figures as JSON (default bench/results.json).
// Exit 0 when every join succeeded (targets missed do not fail it: they are reported).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench } from './bench.js';
import { table } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    fleet: { type: 'string' },
    'fleet-runs': { type: 'string' },
    'no-device-facts': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const int = (s: string | undefined, what: string): number | undefined => {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, not "${s}"`);
  return n;
};

const out = resolve(values.out ?? `${ROOT}bench/results.json`);
const report = await runBench({
  quick: values.quick,
  ...(values.runs ? { runs: int(values.runs, '--runs')! } : {}),
  ...(values.fleet ? { fleetSizes: values.fleet.split(',').map((s) => int(s, '--fleet')!) } : {}),
  ...(values['fleet-runs'] ? { fleetRuns: int(values['fleet-runs'], '--fleet-runs')! } : {}),
  ...(values['no-device-facts'] ? { deviceFacts: false } : {}),
  log: (l) => process.stderr.write(`[bench] ${l}\n`),
});
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`${table(report)}\n\nJSON: ${out}\n`);
process.exitCode = report.allSucceeded ? 0 : 1;
