import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { cliEnv, ensureBuilt, kubejoin, uniqueName } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';
import { AgentProcess, joinMachine, keychainEnv, lc, nodeCsrs, status, whoami, type Joined } from './lifecycle-helpers.js';

// `kubejoin agent`: automatic rotation against the real control plane. The certificate is
// made short first (renew --expiration-seconds 600, the API server's minimum: the signer
// backdates notBefore by 5 min, so it lives 15 min), and the test-only clock hook
// KUBEJOIN_TEST_CLOCK_SCALE=60 makes the agent's waits 60 times shorter: the deadline at
// 70-90 % of the lifetime (10.5-13.5 min after notBefore) comes in seconds.

let cluster: ClusterHandle;
const SCALE = '60';

before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

/** Joined, with a 600 s certificate. */
async function shortLived(t: Parameters<typeof joinMachine>[0], store: 'file' | 'keychain', env?: NodeJS.ProcessEnv): Promise<Joined> {
  const m = await joinMachine(t, cluster, store, env);
  const r = await lc(m, ['renew', '--force', '--expiration-seconds', '600']);
  assert.equal(r.code, 0, r.stderr);
  return m;
}

/** Checks the agent's first schedule line against the certificate it scheduled for. */
function assertDeadlineInWindow(agent: AgentProcess, notBefore: string, notAfter: string): void {
  const line = agent.stdout.split('\n').find((l) => /next rotation at /.test(l));
  assert.ok(line, agent.stdout);
  const at = Date.parse(/next rotation at (\S+)/.exec(line)![1]!);
  const nb = Date.parse(notBefore);
  const life = Date.parse(notAfter) - nb;
  assert.ok(at >= nb + 0.7 * life - 1000 && at <= nb + 0.9 * life + 1000, `deadline ${line} outside 70-90 % of ${notBefore}..${notAfter}`);
}

describe('kubejoin agent', () => {
  it('file store: rotates by itself at the jittered deadline, twice; each CSR by system:node:<name> with expirationSeconds 600; SIGTERM ends it cleanly', async (t) => {
    const m = await shortLived(t, 'file');
    const start = await status(m);
    const csrsBefore = (await nodeCsrs(cluster, m.node)).length;
    const agent = new AgentProcess(m, ['--expiration-seconds', '600'], { ...m.env, KUBEJOIN_TEST_CLOCK_SCALE: SCALE });
    t.after(() => void agent.kill());
    await agent.waitFor(/next rotation at /);
    assertDeadlineInWindow(agent, start.json.certificate!.notBefore, start.json.certificate!.notAfter);
    assert.ok(agent.stdout.includes(`next rotation at ${start.json.certificate!.rotationDue} `), 'status showed the time the agent plans');
    // 10.5-13.5 min after notBefore, which was 5 min before issue: ~5.5-8.5 s each at 60x.
    await agent.waitFor(/ rotated: serial /, 2, 60_000);
    assert.match(agent.stdout, /TEST CLOCK: waits are 60 times shorter/);
    assert.match(
      agent.stdout,
      new RegExp(`rotated: serial ${start.json.certificate!.serialNumber} -> [0-9A-F]+, valid until .*; the cluster sees system:node:${m.node}`),
    );

    const stopped = await agent.terminate();
    assert.equal(stopped.code, 0, agent.stderr);
    assert.ok(stopped.ms < 5000, `ended ${stopped.ms} ms after SIGTERM`);
    assert.match(agent.stdout.trimEnd().split('\n').at(-1)!, /stopping: the current credential is unchanged$/);
    assert.equal(agent.stderr, '');

    const lastSerial = [...agent.stdout.matchAll(/rotated: serial [0-9A-F]+ -> ([0-9A-F]+)/g)].at(-1)![1];
    const now = await status(m);
    assert.equal(now.code, 0);
    assert.equal(now.json.certificate?.serialNumber, lastSerial, 'status shows the last rotated certificate');
    assert.equal((await whoami(m)).username, `system:node:${m.node}`, 'kubectl accepts the rotated credential');
    const csrs = await nodeCsrs(cluster, m.node);
    const rotations = agent.count(/ rotated: serial /);
    assert.equal(csrs.length, csrsBefore + rotations, 'one CSR per rotation');
    for (const c of csrs) {
      assert.equal(c.username, `system:node:${m.node}`);
      assert.equal(c.expirationSeconds, 600);
      assert.deepEqual(c.conditions, ['Approved']);
    }
    // One line per event: every line is timestamped.
    for (const line of agent.stdout.trimEnd().split('\n')) assert.match(line, /^\d{4}-\d{2}-\d{2}T\S+Z \S/);
  });

  it('keychain store (real gnome-keyring): rotates by itself; kubectl goes on through the exec plugin', async (t) => {
    const env = await keychainEnv(t);
    if (typeof env === 'string') return t.skip(env);
    const m = await shortLived(t, 'keychain', env);
    const start = await status(m);
    const agent = new AgentProcess(m, ['--expiration-seconds', '600'], { ...env, KUBEJOIN_TEST_CLOCK_SCALE: SCALE });
    t.after(() => void agent.kill());
    await agent.waitFor(/ rotated: serial /, 1, 60_000);
    assert.equal((await agent.terminate()).code, 0);
    const now = await status(m);
    assert.notEqual(now.json.certificate?.serialNumber, start.json.certificate?.serialNumber);
    assert.equal((await whoami(m)).username, `system:node:${m.node}`);
  });

  it('not joined: logs why and exits 10 at once', async (t) => {
    const dir = await workdir(t);
    const env = cliEnv({ XDG_STATE_HOME: join(dir, 'state'), KUBEJOIN_KEYCHAIN_SERVICE: uniqueName('kubejoin-none') });
    const r = await kubejoin(['agent'], { env, timeoutMs: 20_000 });
    assert.equal(r.code, 10, r.stderr);
    assert.match(r.stdout, /cannot rotate: this machine is not joined/);
  });

  it('--expiration-seconds below 600 is exit 2 before anything runs', async () => {
    const r = await kubejoin(['agent', '--expiration-seconds', '60']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--expiration-seconds must be a whole number of seconds, at least 600/);
  });
});
