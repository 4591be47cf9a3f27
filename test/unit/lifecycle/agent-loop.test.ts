// The rotation agent's loop without a cluster: when it ends by itself (not joined, expired),
// what it schedules, and that an abort ends a wait at once with exit 0.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RotationUpdate } from '../../../agent/contract/index.js';
import { runRotationAgent } from '../../../agent/lifecycle/agent-loop.js';
import type { InstalledCredential } from '../../../agent/store/installed.js';
import { nodeCredential } from './node-cert.js';
import { fakeInstalled } from './fake-store.js';

const day = 86_400_000;

function storeWith(pair: { certPem: string; keyPem: string }): InstalledCredential {
  return fakeInstalled(async () => pair);
}

describe('runRotationAgent', () => {
  it('not joined: one log line, a stopped update, exit 10', async () => {
    const lines: string[] = [];
    const updates: RotationUpdate[] = [];
    const code = await runRotationAgent({
      locate: async () => undefined,
      signal: new AbortController().signal,
      log: (l) => lines.push(l),
      onUpdate: (u) => updates.push(u),
    });
    assert.equal(code, 10);
    assert.deepEqual(lines.length, 1);
    assert.match(lines[0]!, /^cannot rotate: this machine is not joined/);
    assert.equal(updates.at(-1)?.state, 'stopped');
  });

  it('expired: exit 11, says to join again', async () => {
    const pair = await nodeCredential('old', new Date(Date.now() - 2 * day), new Date(Date.now() - day));
    const lines: string[] = [];
    const code = await runRotationAgent({ locate: async () => storeWith(pair), signal: new AbortController().signal, log: (l) => lines.push(l) });
    assert.equal(code, 11);
    assert.match(lines.join('\n'), /expired .* cannot renew itself .*Join again with a new bootstrap token/s);
  });

  it('valid: schedules inside the 70-90 % window, then an abort ends the wait at once (exit 0)', async () => {
    const notBefore = new Date(Date.now() - day);
    const notAfter = new Date(Date.now() + 9 * day);
    const pair = await nodeCredential('n1', notBefore, notAfter);
    const controller = new AbortController();
    const lines: string[] = [];
    const updates: RotationUpdate[] = [];
    const running = runRotationAgent({
      locate: async () => storeWith(pair),
      signal: controller.signal,
      log: (l) => lines.push(l),
      onUpdate: (u) => updates.push(u),
    });
    while (updates.length === 0) await new Promise((r) => setTimeout(r, 5));
    const scheduled = updates[0]!;
    assert.equal(scheduled.state, 'scheduled');
    const at = Date.parse(scheduled.nextRotation!);
    const life = notAfter.getTime() - notBefore.getTime();
    // notBefore/notAfter in a certificate have 1 s resolution.
    assert.ok(at >= notBefore.getTime() + 0.7 * life - 1000 && at <= notBefore.getTime() + 0.9 * life + 1000);
    assert.match(lines[0]!, /^node n1: certificate serial 01 valid until .*; next rotation at .* \(in \d+d \d+h\)$/);
    const t0 = Date.now();
    controller.abort(new Error('SIGTERM'));
    assert.equal(await running, 0);
    assert.ok(Date.now() - t0 < 500);
    assert.equal(lines.at(-1), 'stopping: the current credential is unchanged');
    assert.equal(updates.at(-1)?.state, 'stopped');
  });
});
