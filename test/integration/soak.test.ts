import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { cliEnv, ensureBuilt, TEST_CLI } from '../helpers/cli.js';
import { sleep } from '../helpers/poll.js';
import { ROOT } from '../helpers/paths.js';
import { joinMachine, lc } from './lifecycle-helpers.js';

// The agent runs for years: a soak at a scaled clock (docs/performance.md, "Long runs").
// `kubejoin agent` rotates a 600 s certificate again and again (KUBEJOIN_TEST_CLOCK_SCALE makes
// its waits that many times shorter) against the real control plane, under --expose-gc with a
// probe (test/tools/soak-probe.mjs) that forces a full GC every 2 s and records the V8 heap
// after it, the RSS and the open descriptors. After a warm-up, in the last quarter of the run each
// must stay within 10 % of the second quarter. `npm test` runs a short form; `npm run soak`
// (test/tools/soak.sh) runs it for minutes: KUBEJOIN_SOAK_SECONDS, KUBEJOIN_SOAK_SCALE,
// KUBEJOIN_SOAK_WARMUP_SECONDS.

const SECONDS = Number(process.env.KUBEJOIN_SOAK_SECONDS) || 80;
/** Not measured: the process settles (V8 tiers up, the allocator takes its arenas: +5 MiB RSS once, after ~40 s). */
const WARMUP = Number(process.env.KUBEJOIN_SOAK_WARMUP_SECONDS) || 45;
const SCALE = Number(process.env.KUBEJOIN_SOAK_SCALE) || 1000;
const PROBE = join(ROOT, 'test/tools/soak-probe.mjs');
const LIMIT = 1.1;

interface Sample {
  at: number;
  heap: number;
  code: number;
  old: number;
  rss: number;
  fds: number;
}

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** The samples of quarter q (1-4) of the run, by time. */
function quarter(samples: Sample[], q: number): Sample[] {
  const t0 = samples[0]!.at;
  const span = samples.at(-1)!.at - t0;
  return samples.filter((s) => s.at - t0 >= ((q - 1) * span) / 4 && s.at - t0 <= (q * span) / 4);
}

describe('soak: the rotation agent at a scaled clock', () => {
  it(`valid: ${SECONDS} s at ${SCALE}x after ${WARMUP} s: heap after GC, RSS and descriptors in the last quarter within 10 % of the second`, async (t) => {
    const m = await joinMachine(t, cluster, 'file', cliEnv(), 'soak');
    const short = await lc(m, ['renew', '--force', '--expiration-seconds', '600']);
    assert.equal(short.code, 0, short.stderr);
    // soak.sh keeps the samples (KUBEJOIN_SOAK_PROBE); otherwise they go with the temp dir.
    const probe = process.env.KUBEJOIN_SOAK_PROBE ?? join(m.dir, 'probe.jsonl');
    await writeFile(probe, '');
    const env = { ...m.env, KUBEJOIN_TEST_CLOCK_SCALE: String(SCALE), KUBEJOIN_SOAK_PROBE: probe, KUBEJOIN_SOAK_EVERY_MS: '2000' };
    // The test build: the scaled clock is a test hook (docs/architecture.md, "Test hooks").
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', pathToFileURL(PROBE).href, TEST_CLI, 'agent', '--expiration-seconds', '600', ...m.where],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let rotations = 0;
    let failures = 0;
    let tail = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = tail + d.toString();
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        if (/ rotated: serial /.test(line)) rotations++;
        else if (/retrying in /.test(line)) failures++;
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    t.after(() => child.kill('SIGKILL'));

    await sleep((WARMUP + SECONDS) * 1000);
    assert.equal(child.exitCode, null, `the agent exited early: ${stderr}`);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);

    const all = (await readFile(probe, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Sample);
    const samples = all.filter((s) => s.at >= all[0]!.at + WARMUP * 1000);
    assert.ok(samples.length >= 16, `only ${samples.length} samples`);
    const [q2, q4] = [quarter(samples, 2), quarter(samples, 4)];
    const figures = {
      rotations,
      failures,
      seconds: SECONDS,
      warmup: WARMUP,
      scale: SCALE,
      heapQ2: mib(mean(q2.map((s) => s.heap))),
      heapQ4: mib(mean(q4.map((s) => s.heap))),
      codeQ2: mib(mean(q2.map((s) => s.code))),
      codeQ4: mib(mean(q4.map((s) => s.code))),
      oldQ2: mib(mean(q2.map((s) => s.old))),
      oldQ4: mib(mean(q4.map((s) => s.old))),
      rssQ2: mib(mean(q2.map((s) => s.rss))),
      rssQ4: mib(mean(q4.map((s) => s.rss))),
      rssMax: mib(Math.max(...samples.map((s) => s.rss))),
      fdsQ2: mean(q2.map((s) => s.fds)).toFixed(1),
      fdsQ4: mean(q4.map((s) => s.fds)).toFixed(1),
    };
    // The figures for docs/performance.md ("Long runs").
    t.diagnostic(`soak figures: ${JSON.stringify(figures)}`);
    assert.ok(rotations >= (WARMUP + SECONDS) / 4, `only ${rotations} rotations in ${WARMUP + SECONDS} s: ${JSON.stringify(figures)}`);
    for (const key of ['heap', 'rss', 'fds'] as const) {
      const [a, b] = [mean(q2.map((s) => s[key])), mean(q4.map((s) => s[key]))];
      assert.ok(b <= a * LIMIT, `${key} grew from ${a.toFixed(0)} (second quarter) to ${b.toFixed(0)} (last quarter): ${JSON.stringify(figures)}`);
    }
  });
});
