import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { cliEnv, ensureBuilt, writeTokenFile } from '../helpers/cli.js';
import { AgentProcess, joinMachine, lc, whoami, type Joined } from './lifecycle-helpers.js';

// A node that was off longer than its certificate's life (docs/operations.md, "An expired or
// revoked node"). The cluster signs for 90 s (--cluster-signing-duration); the node joins, no
// agent runs, the certificate expires. Without a token, status exits 11 with the admin's line;
// the agent started with a token file joins again by itself as the same node: one new CSR.

const LIFE = '90s';
let c: ClusterHandle;

before(async () => {
  await ensureBuilt();
  c = await startCluster({ controllerManagerFlags: [`--cluster-signing-duration=${LIFE}`] });
});
after(async () => {
  await c?.stop();
});

/**
 * The CSRs a bootstrap token made in this test's own cluster: joins (a rotation's requester is
 * the node itself; the signer backdates notBefore by 5 min, so a 90 s certificate is due for
 * rotation as soon as it is issued, and the agent rotates it).
 */
async function joinCsrs(): Promise<number> {
  const r = await c.kubectl(['get', 'csr', '-o', 'jsonpath={range .items[*]}{.spec.username}{"\\n"}{end}']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((u) => u.startsWith('system:bootstrap:')).length;
}

async function notAfter(m: Joined): Promise<number> {
  const pem = await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8');
  return Date.parse(new X509Certificate(pem).validTo);
}

it(
  'an expired node: exit 11 and the admin line without a token; the agent joins again as the same node once its --token-file holds one',
  { timeout: 300_000 },
  async (t) => {
    const m = await joinMachine(t, c, 'file', cliEnv(), 'exp');
    const kiosk = await joinMachine(t, c, 'file', cliEnv(), 'expk');
    const expiry = Math.max(await notAfter(m), await notAfter(kiosk));
    assert.ok(expiry - Date.now() < 120_000, 'the cluster signs short-lived certificates');
    // The device is off: nothing runs until the certificate has expired.
    await new Promise((r) => setTimeout(r, Math.max(0, expiry - Date.now()) + 2000));

    const status = await lc(m, ['status']);
    assert.equal(status.code, 11, status.stdout + status.stderr);
    assert.ok(
      status.stdout.includes(`kubejoin token create --ttl 1h --description "rejoin ${m.node}" --print-join-command`),
      `status names the admin's line:\n${status.stdout}`,
    );
    const alone = await lc(m, ['agent'], { timeoutMs: 30_000 });
    assert.equal(alone.code, 11, alone.stdout + alone.stderr);
    assert.match(alone.stdout, /cannot rotate: the client certificate expired at .*--print-join-command/);
    assert.equal(await joinCsrs(), 2, "no request without a token: only the two joins'");

    // The agent runs with a token file the administrator has not filled yet: it waits and retries.
    const tokenFile = join(m.dir, 'rejoin-token');
    const agent = new AgentProcess(m, ['--token-file', tokenFile], m.env);
    t.after(async () => void (await agent.terminate()));
    await agent.waitFor(new RegExp(`joining again failed: cannot read --token-file ${tokenFile}: no such file \\(ENOENT\\)`));
    assert.equal(agent.child.exitCode, null, 'a missing token is not fatal');
    await writeTokenFile(m.dir, await c.signedToken(), 'rejoin-token');
    await agent.waitFor(/joined again: the cluster sees system:node:/, 1, 120_000);
    assert.match(agent.stdout, new RegExp(`joined again: the cluster sees system:node:${m.node} `));
    assert.match(agent.stdout, /the node's certificate no longer works \(the client certificate expired at/);
    assert.equal(await joinCsrs(), 3, `one new join request:\n${agent.stdout}`);
    assert.ok((await notAfter(m)) > Date.now(), 'a valid certificate is stored');
    const who = await whoami(m);
    assert.equal(who.username, `system:node:${m.node}`, who.stderr);
    const token = (await readFile(tokenFile, 'utf8')).trim();
    assert.ok(!agent.stdout.includes(token.split('.')[1]!), 'the token secret is never logged');

    // The kiosk: agent.yaml names the provisioning file; its tokenFile is relative to it.
    const kioskToken = await c.signedToken();
    await writeTokenFile(kiosk.dir, kioskToken, 'kiosk-token');
    const provision = join(kiosk.dir, 'provision.yaml');
    await writeFile(provision, `endpoint: ${c.endpoint}\ntokenFile: kiosk-token\ncaCertHashes: [${c.caCertHash}]\n`, { mode: 0o600 });
    const config = join(kiosk.dir, 'agent.yaml');
    await writeFile(config, `provisioningFile: ${provision}\ncaCheckInterval: 1m\n`);
    const kioskAgent = new AgentProcess(kiosk, ['--config', config], kiosk.env);
    t.after(async () => void (await kioskAgent.terminate()));
    await kioskAgent.waitFor(new RegExp(`agent started .*; joins again with the bootstrap token of ${provision} if needed`));
    await kioskAgent.waitFor(/joined again: the cluster sees system:node:/, 1, 120_000);
    assert.match(kioskAgent.stdout, new RegExp(`joined again: the cluster sees system:node:${kiosk.node} `));
    assert.equal(await joinCsrs(), 4, `one new join request:\n${kioskAgent.stdout}`);
    assert.ok((await notAfter(kiosk)) > Date.now(), 'a valid certificate is stored');
    assert.ok(!kioskAgent.stdout.includes(kioskToken.split('.')[1]!), 'the token secret is never logged');
    const end = await kioskAgent.terminate();
    assert.equal(end.code, 0, kioskAgent.stderr);
  },
);
