import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DoctorReport } from '../../agent/contract/index.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { assertNoSecret, CLI, cliEnv, ensureBuilt, fileStoreFlags, run, uniqueName, tokenJoinArgs } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';

// A device clock that is wrong, for real: the CLI runs under libfaketime (Debian package
// "faketime"), which shifts the time Node and its OpenSSL see. The cluster's certificates
// start 5 minutes before they were made, so 2 days behind makes them "not valid yet".

let cluster: ClusterHandle;
const faketime = (() => {
  try {
    const shifted = Number(execFileSync('faketime', ['-f', '-2d', process.execPath, '-e', 'console.log(Date.now())']).toString());
    return Math.abs(Date.now() - 2 * 86_400_000 - shifted) < 60_000 ? undefined : 'faketime does not shift the clock Node sees';
  } catch {
    return 'the faketime command is not installed (Debian package "faketime")';
  }
})();

before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const NO_PROXY_ENV = { HTTPS_PROXY: undefined, https_proxy: undefined };

async function shifted(t: TestContext, offset: string, args: (dir: string, tokenFile: string) => string[]) {
  const dir = await workdir(t);
  const token = await cluster.signedToken();
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const r = await run('faketime', ['-f', offset, process.execPath, CLI, ...args(dir, join(dir, 'token'))], { env: cliEnv(NO_PROXY_ENV) });
  assertNoSecret(r, token);
  return { r, dir, token };
}

const joinArgs = (name: string) => (dir: string, tokenFile: string) => [...tokenJoinArgs(cluster, tokenFile, name), ...fileStoreFlags(dir)];

describe('the device clock', { skip: faketime }, () => {
  it('invalid: 2 days behind: the join names the clock, the skew and the fix (exit 8), nothing written, no CSR', async (t) => {
    const name = uniqueName('clock-behind');
    const { r, dir, token } = await shifted(t, '-2d', joinArgs(name));
    assert.equal(r.code, 8, r.stderr);
    assert.match(
      r.stderr,
      /error: this device's clock is 2 days behind the API server \(device 20\d\d-\d\d-\d\dT[\d:]+Z, server 20\d\d-\d\d-\d\dT[\d:]+Z\), so the certificate of 127\.0\.0\.1:\d+ looks not valid yet to it \(CERT_NOT_YET_VALID\)/,
    );
    assert.match(r.stderr, /timedatectl set-ntp true/);
    assert.match(r.stderr, /exit 8: this device's clock is wrong/);
    assert.doesNotMatch(r.stderr, /do not trust this server/, 'the advice no longer points at an attack');
    assert.match(r.stdout, /\[discover\] WARNING: this device's clock is 2 days behind/);
    assert.deepEqual(await filesUnder(dir), ['token']);
    const csrs = await cluster.kubectl(['get', 'csr', '-o', 'jsonpath={.items[*].spec.username}']);
    assert.equal(csrs.code, 0, csrs.stderr);
    assert.ok(!csrs.stdout.split(' ').includes(`system:bootstrap:${token.split('.')[0]}`), 'no certificate request was sent with the token');
  });

  it('valid: 10 minutes ahead: joins, with a warning that names the skew', async (t) => {
    const { r, dir } = await shifted(t, '+10m', joinArgs(uniqueName('clock-ahead')));
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /\[discover\] WARNING: this device's clock is 10 minutes ahead of the API server \(device .*, server .*\).*timedatectl set-ntp true/,
    );
    assert.match(r.stdout, /Joined as system:node:clock-ahead-/);
    assert.ok((await filesUnder(dir)).includes('pki/kubelet-client-current.pem'));
  });

  it('valid: 10 minutes ahead in JSON: the warning is a progress event of the discover phase', async (t) => {
    const { r } = await shifted(t, '+10m', (dir, tokenFile) => [...joinArgs(uniqueName('clock-json'))(dir, tokenFile), '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; phase?: string; message?: string });
    assert.ok(events.some((e) => e.type === 'progress' && e.phase === 'discover' && /10 minutes ahead/.test(e.message ?? '')));
  });

  it('invalid: 2 days behind with a discovery file: the clock is named too (exit 8)', async (t) => {
    const { r, dir } = await shifted(t, '-2d', (d, tokenFile) => {
      const file = join(d, 'discovery.conf');
      writeFileSync(
        file,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caPem).toString('base64') } }],
          contexts: [{ name: 'c', context: { cluster: 'c', user: '' } }],
          'current-context': 'c',
          users: [],
        }),
      );
      return ['join', '--discovery-file', file, '--token-file', tokenFile, '--node-name', uniqueName('clock-file'), ...fileStoreFlags(d)];
    });
    assert.equal(r.code, 8, r.stderr);
    assert.match(
      r.stderr,
      /this device's clock is 2 days behind the API server .*, so the certificate of https:\/\/127\.0\.0\.1:\d+ looks not valid yet to it/,
    );
    assert.deepEqual((await filesUnder(dir)).sort(), ['discovery.conf', 'token']);
  });

  it('invalid: 2 days behind: the doctor ranks the clock first (exit 8) and does not send the token', async (t) => {
    const { r } = await shifted(t, '-2d', (_dir, tokenFile) => [
      'doctor',
      cluster.endpoint,
      '--discovery-token-ca-cert-hash',
      cluster.caCertHash,
      '--token-file',
      tokenFile,
      '-o',
      'json',
    ]);
    assert.equal(r.code, 8, r.stdout);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.equal(report.causes[0]?.check, 'clock');
    assert.match(report.causes[0]!.summary, /this device's clock is 2 days behind the API server .*looks not valid yet/);
    assert.match(report.causes[0]!.fix ?? '', /timedatectl set-ntp true/);
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    assert.equal(status.pin, 'fail');
    assert.equal(status.token, 'skip');
  });

  it('valid: 10 minutes ahead: the doctor warns about the clock and passes (exit 0)', async (t) => {
    const { r } = await shifted(t, '+10m', (_dir, tokenFile) => [
      'doctor',
      cluster.endpoint,
      '--discovery-token-ca-cert-hash',
      cluster.caCertHash,
      '--token-file',
      tokenFile,
      '-o',
      'json',
    ]);
    assert.equal(r.code, 0, r.stdout);
    const report = JSON.parse(r.stdout) as DoctorReport;
    assert.equal(report.checks.find((c) => c.id === 'clock')?.status, 'warn');
    assert.match(report.causes[0]!.summary, /10 minutes ahead of the API server/);
  });
});
