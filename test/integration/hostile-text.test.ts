// A cluster-info of our own whose server URL, cluster name and key ids carry terminal control
// sequences (an xterm title, a screen clear): `kubejoin doctor` and `kubejoin join` (the built
// CLI) show them as visible escapes, never as raw control bytes (agent/contract/text.ts);
// `-o json` keeps the value, escaped in the JSON text (C1 controls too). No cluster: a TLS server on loopback answers.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, kubejoin, type Run } from '../helpers/cli.js';
import { foreignCertificate } from '../helpers/hostile-servers.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { answer, clusterInfoJson, signedWith } from './hostile/answers.js';
import { tlsServer, type Recorder } from './hostile/servers.js';

const EVIL = '\u001b]0;pwned\u0007\u001b[2J\u009b1m';
const SHOWN = '\\x1b]0;pwned\\x07\\x1b[2J\\x9b1m';
/** Any control character but the newline. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const TOKEN = 'hstile.0123456789abcdef';

/** A YAML double-quoted string: JSON's, with the C1 control escaped too (YAML wants it so). */
const yamlString = (s: string): string => JSON.stringify(s).replace(/\u009b/g, '\\u009b');

/** cluster-info signed for TOKEN, with hostile text in the server URL, the cluster name and a key id. */
async function hostileClusterInfo(t: TestContext, withCa: boolean): Promise<Recorder> {
  const ca = foreignCertificate().cert;
  const kubeconfig = [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    ...(withCa ? [`    certificate-authority-data: ${Buffer.from(ca).toString('base64')}`] : []),
    `    server: ${yamlString(`https://127.0.0.1:1/${EVIL}`)}`,
    `  name: ${yamlString(`c${EVIL}`)}`,
    'kind: Config',
    '',
  ].join('\n');
  const body = JSON.parse(clusterInfoJson(kubeconfig, 'hstile', signedWith(kubeconfig, TOKEN))) as { data: Record<string, string> };
  body.data[`jws-kubeconfig-k${EVIL}`] = 'x..y';
  const server = await tlsServer((socket) => answer(socket, 200, JSON.stringify(body)));
  t.after(() => server.close());
  return server;
}

function assertShownEscaped(r: Run): void {
  assert.ok(!RAW.test(r.stdout), `a raw control character on stdout: ${JSON.stringify(r.stdout)}`);
  assert.ok(!RAW.test(r.stderr), `a raw control character on stderr: ${JSON.stringify(r.stderr)}`);
  assert.ok(`${r.stdout}${r.stderr}`.includes(SHOWN), `the server's text is shown, escaped:\n${r.stdout}${r.stderr}`);
  assertNoSecret(r, TOKEN);
}

const env = cliEnv({ KUBEJOIN_TOKEN: TOKEN, HTTPS_PROXY: undefined, https_proxy: undefined });

describe('control characters from cluster-info never reach the terminal', () => {
  before(ensureBuilt);

  it('valid: doctor shows the server URL and key ids escaped (evidence)', async (t) => {
    const server = await hostileClusterInfo(t, true);
    const r = await kubejoin(['doctor', server.endpoint, '--timeout', '10s'], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assertShownEscaped(r);
    assert.match(r.stdout, new RegExp(`server in it: https://127\\.0\\.0\\.1:1/${SHOWN.replace(/[\\[\]]/g, '\\$&')}`));
    assert.match(r.stdout, /signed for token ids: .*k\\x1b\]0;pwned/);
  });

  it('valid: doctor -o json keeps the text, every control character escaped in the JSON text', async (t) => {
    const server = await hostileClusterInfo(t, true);
    const r = await kubejoin(['doctor', server.endpoint, '--timeout', '10s', '-o', 'json'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!RAW.test(r.stdout.replace(/\n/g, '')), JSON.stringify(r.stdout));
    assert.ok(r.stdout.includes('\\u001b]0;pwned\\u0007\\u001b[2J\\u009b1m'), r.stdout);
    const report = JSON.parse(r.stdout) as { checks: { evidence: string[] }[] };
    assert.ok(
      report.checks.some((c) => c.evidence.includes(`server in it: https://127.0.0.1:1/${EVIL}`)),
      'a JSON reader gets the text back exactly',
    );
  });

  it('invalid: a cluster name with escapes in the error of doctor (exit 3) and join (exit 3), nothing written', async (t) => {
    const server = await hostileClusterInfo(t, false);
    const doctor = await kubejoin(['doctor', server.endpoint, '--timeout', '10s'], { env });
    assert.equal(doctor.code, 3, doctor.stdout + doctor.stderr);
    assertShownEscaped(doctor);
    assert.match(doctor.stdout, /no CA certificate for cluster "c\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b1m"/);
    const dir = await workdir(t);
    const join = await kubejoin(
      ['join', server.endpoint, '--discovery-token-unsafe-skip-ca-verification', '--discovery-timeout', '3s', ...fileStoreFlags(dir)],
      { env },
    );
    assert.equal(join.code, 3, join.stdout + join.stderr);
    assertShownEscaped(join);
    assert.match(join.stderr, /error: the cluster-info kubeconfig has no CA certificate for cluster "c\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b1m"/);
    assert.deepEqual(await filesUnder(dir), []);
  });
});
