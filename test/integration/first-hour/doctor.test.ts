import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CATEGORY_TITLES, CHECK_TITLES, type DoctorReport } from '../../../agent/contract/index.js';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { assertNoSecret, cliEnv, ensureBuilt, kubejoin } from '../../helpers/cli.js';
import { workdir } from '../../helpers/temp.js';

// Doctor runs with several failures at once, against the real control plane and a port of our
// own that nobody listens on: the most likely cause leads with its fix, every other cause is
// listed once under one "Also:" heading, no fix is printed twice, and the text says what
// `-o json` says (the same causes in the same order, the same exit code).

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const WRONG_PIN = `sha256:${'0'.repeat(64)}`;
const NO_PROXY_ENV = { HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined };

/** `kubejoin doctor` as text and as JSON, with the same inputs. */
async function doctor(t: TestContext, endpoint: string, token: string, pin?: string): Promise<{ text: string; code: number; report: DoctorReport }> {
  const dir = await workdir(t);
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const args = ['doctor', endpoint, '--token-file', join(dir, 'token'), ...(pin ? ['--discovery-token-ca-cert-hash', pin] : [])];
  const env = cliEnv(NO_PROXY_ENV);
  const [text, json] = await Promise.all([kubejoin(args, { env }), kubejoin([...args, '-o', 'json'], { env })]);
  assertNoSecret(text, token);
  assertNoSecret(json, token);
  const report = JSON.parse(json.stdout) as DoctorReport;
  assert.equal(text.code, report.exitCode, text.stderr);
  assert.equal(json.code, report.exitCode);
  return { text: text.stdout, code: text.code, report };
}

/** The causes part of the text, checked against the report: grouping, order, nothing twice. */
function assertGrouped(text: string, report: DoctorReport): string[] {
  const causes = text.slice(text.indexOf('\n\nMost likely cause (') + 2).split('\n');
  const [top, ...rest] = report.causes;
  assert.ok(top, 'a cause');
  const expected = [`Most likely cause (${CHECK_TITLES[top.check]}): ${top.summary}`, ...(top.fix ? [`  Fix: ${top.fix}`] : [])];
  if (rest.length > 0) expected.push('', 'Also:');
  for (const c of rest) {
    expected.push(`  - ${CHECK_TITLES[c.check]}${c.category ? '' : ' (warning)'}: ${c.summary}`);
    if (c.fix) expected.push(`    Fix: ${c.fix}`);
  }
  expected.push('', `(exit ${report.exitCode}: ${CATEGORY_TITLES[top.category!]})`, '');
  assert.deepEqual(causes, expected);
  assert.equal(text.match(/^Also/gm)?.length ?? 0, rest.length > 0 ? 1 : 0, 'one "Also:" heading');
  const fixes = causes.filter((l) => /^ +Fix: /.test(l)).map((l) => l.trim());
  assert.deepEqual(fixes, [...new Set(fixes)], 'no fix twice');
  assert.deepEqual(
    report.causes.map((c) => c.check),
    [...new Set(report.causes.map((c) => c.check))],
    'no check twice',
  );
  return report.causes.map((c) => c.check);
}

async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("doctor's causes: the first leads, the rest under one heading, nothing repeated", () => {
  it('invalid: an unknown token, a wrong pin and a name the certificate lacks: three causes, one "Also:" (exit 4)', async (t) => {
    // This machine's name, when it resolves to the API server's address, is a name its
    // certificate does not hold (a warning); otherwise the address itself (two causes).
    const alias = await lookup(hostname(), { family: 4 }).then(
      (a) => (a.address === '127.0.0.1' && !/^(localhost|kubernetes)$/.test(hostname()) ? hostname() : undefined),
      () => undefined,
    );
    if (!alias) t.diagnostic(`"${hostname()}" does not resolve to 127.0.0.1: the TLS name warning is left out`);
    const { text, report } = await doctor(t, `${alias ?? '127.0.0.1'}:${cluster.endpoint.split(':')[1]}`, 'zzzzzz.0123456789abcdef', WRONG_PIN);
    assert.deepEqual(assertGrouped(text, report), ['signature', 'pin', ...(alias ? ['tls'] : [])]);
    assert.equal(report.exitCode, 4);
    if (alias) assert.match(text, new RegExp(`^ {2}- TLS handshake \\(warning\\): the server's certificate does not name ${alias}:`, 'm'));
  });

  it('invalid: a wrong secret and a wrong pin, one fix for both: the fix once, under the cause that leads (exit 3)', async (t) => {
    const id = (await cluster.signedToken()).split('.')[0]!;
    const { text, report } = await doctor(t, cluster.endpoint, `${id}.0123456789abcdef`, WRONG_PIN);
    assert.deepEqual(assertGrouped(text, report), ['signature', 'pin']);
    assert.equal(report.exitCode, 3);
    assert.equal(report.causes[1]!.fix, undefined, 'the pin cause is fixed by the step above');
    assert.equal(text.match(/kubejoin ca-hash/g)?.length, 1);
  });

  it('invalid: no pin and an unknown token: the failure leads, the warning under "Also:" (exit 4)', async (t) => {
    const { text, report } = await doctor(t, cluster.endpoint, 'zzzzzz.0123456789abcdef');
    assert.deepEqual(assertGrouped(text, report), ['signature', 'pin']);
    assert.match(text, /^ {2}- CA pin and verified TLS \(warning\): no --discovery-token-ca-cert-hash given/m);
  });

  it('invalid: a dead port: one cause, no "Also:", exit 6 saying the connection was refused', async (t) => {
    const port = await deadPort();
    const { text, report } = await doctor(t, `127.0.0.1:${port}`, 'zzzzzz.0123456789abcdef', cluster.caCertHash);
    assert.deepEqual(assertGrouped(text, report), ['tcp']);
    assert.match(text, new RegExp(`^Most likely cause \\(TCP connection\\): 127\\.0\\.0\\.1:${port} refused the connection`, 'm'));
    assert.equal(report.exitCode, 6);
  });
});
