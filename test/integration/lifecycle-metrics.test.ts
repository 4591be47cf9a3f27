import { before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { freePorts } from '../harness/ports.js';
import { ensureBuilt, run } from '../helpers/cli.js';
import { AgentProcess, joinMachine } from './lifecycle-helpers.js';

// Certificate health for Prometheus (docs/operations.md, "Alerting"): the agent's textfile
// passes promtool and is read by a real prometheus-node-exporter (textfile collector); its
// /metrics listener is scraped with curl; the values are the stored certificate's.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

/** `name` (no labels) in an exposition text. */
function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} is missing:\n${text}`);
  return Number(line.slice(name.length + 1));
}

async function curl(url: string): Promise<string> {
  const r = await run('curl', ['-fsS', '--max-time', '10', url], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

it("writes a textfile node_exporter reads and serves /metrics, with the certificate's values", { timeout: 120_000 }, async (t) => {
  const m = await joinMachine(t, cluster, 'file');
  const [listen = 0, exporterPort = 0] = await freePorts(2);
  const textfile = join(m.dir, 'kubejoin.prom');
  const agent = new AgentProcess(m, ['--metrics-textfile', textfile, '--metrics-listen', `127.0.0.1:${listen}`, '--ca-check-interval', '1s'], m.env);
  t.after(async () => void (await agent.terminate()));
  await agent.waitFor(/next rotation at/);
  const pem = await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8');
  const notAfter = Math.round(Date.parse(new X509Certificate(pem).validTo) / 1000);

  // The textfile: written after the first check, whole (no temporary left beside it).
  let text = '';
  for (const end = Date.now() + 20_000; !text.includes('kubejoin_ca_bundle_size'); await new Promise((r) => setTimeout(r, 200))) {
    assert.ok(Date.now() < end, `no textfile with kubejoin_ca_bundle_size:\n${agent.stdout}`);
    text = await readFile(textfile, 'utf8').catch(() => '');
  }
  const promtool = await run('promtool', ['check', 'metrics'], { input: text, timeoutMs: 15_000 });
  assert.equal(promtool.code, 0, `promtool: ${promtool.stdout}${promtool.stderr}\n${text}`);
  assert.equal(value(text, 'kubejoin_client_certificate_not_after_seconds'), notAfter);
  const ttl = value(text, 'kubejoin_client_certificate_ttl_seconds');
  assert.ok(Math.abs(ttl - (notAfter - Date.now() / 1000)) < 30, `ttl ${ttl}`);
  assert.equal(value(text, 'kubejoin_ca_bundle_size'), 1);
  assert.match(text, /^kubejoin_renewals_total\{result="success"\} 0$/m);
  assert.match(text, /^kubejoin_ca_bundle_changes_total\{change="added"\} 0$/m);
  assert.match(text, /^kubejoin_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
  assert.ok(Math.abs(value(text, 'kubejoin_last_check_timestamp_seconds') - Date.now() / 1000) < 30);
  assert.deepEqual(
    (await readdir(m.dir)).filter((n) => n.includes('.prom.')),
    [],
  );

  // A real node_exporter with only its textfile collector.
  const exporter = spawn(
    'prometheus-node-exporter',
    ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${m.dir}`, `--web.listen-address=127.0.0.1:${exporterPort}`],
    { stdio: 'ignore' },
  );
  t.after(() => void exporter.kill('SIGTERM'));
  let scraped = '';
  for (const end = Date.now() + 20_000; !scraped.includes('kubejoin_'); await new Promise((r) => setTimeout(r, 200))) {
    assert.ok(Date.now() < end && exporter.exitCode === null, 'node_exporter did not serve the textfile');
    scraped = await run('curl', ['-fsS', `http://127.0.0.1:${exporterPort}/metrics`], { timeoutMs: 10_000 }).then((r) => r.stdout);
  }
  assert.equal(value(scraped, 'kubejoin_client_certificate_not_after_seconds'), notAfter);
  assert.match(scraped, /^node_textfile_scrape_error 0$/m);

  // The agent's own listener.
  const direct = await curl(`http://127.0.0.1:${listen}/metrics`);
  assert.equal(value(direct, 'kubejoin_client_certificate_not_after_seconds'), notAfter);
  const check = await run('promtool', ['check', 'metrics'], { input: direct, timeoutMs: 15_000 });
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const other = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${listen}/other`], { timeoutMs: 10_000 });
  assert.equal(other.stdout, '404');
});
