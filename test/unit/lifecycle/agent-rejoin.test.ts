// The agent's re-join seam without a cluster: an expired certificate with a `rejoin` callback
// joins again (once) and plans with the new certificate; a failing re-join is retried with the
// backoff, never fatal; without the callback the agent ends with 11 and the admin's line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRotationAgent } from '../../../agent/lifecycle/agent-loop.js';
import { KubejoinError } from '../../../agent/errors.js';
import type { InstalledCredential } from '../../../agent/store/installed.js';
import { nodeCredential } from './node-cert.js';
import { fakeInstalled } from './fake-store.js';

const day = 86_400_000;

function storeOf(current: () => { certPem: string; keyPem: string }): InstalledCredential {
  return fakeInstalled(async () => current());
}

describe('runRotationAgent: joining again', () => {
  it('expired with a token: joins again once, then schedules with the new certificate', async () => {
    let pair = await nodeCredential('n1', new Date(Date.now() - 2 * day), new Date(Date.now() - day));
    const fresh = await nodeCredential('n1', new Date(Date.now() - 1000), new Date(Date.now() + 10 * day));
    const controller = new AbortController();
    const lines: string[] = [];
    let rejoins = 0;
    const running = runRotationAgent({
      locate: async () => storeOf(() => pair),
      signal: controller.signal,
      log: (l) => {
        lines.push(l);
        if (/next rotation at/.test(l)) controller.abort(new Error('SIGTERM'));
      },
      rejoin: async () => {
        rejoins += 1;
        pair = fresh;
        return 'system:node:n1 (certificate request node-csr-x)';
      },
    });
    assert.equal(await running, 0);
    assert.equal(rejoins, 1);
    assert.match(lines[0]!, /^the node's certificate no longer works \(the client certificate expired at .*\): joining again as the same node/);
    assert.equal(lines[1], 'joined again: the cluster sees system:node:n1 (certificate request node-csr-x)');
    assert.match(lines[2]!, /^node n1: certificate serial 01 valid until .*; next rotation at/);
  });

  it('a failed re-join is reported and retried with the backoff', async () => {
    const pair = await nodeCredential('n1', new Date(Date.now() - 2 * day), new Date(Date.now() - day));
    const controller = new AbortController();
    const lines: string[] = [];
    let rejoins = 0;
    const code = await runRotationAgent({
      locate: async () => storeOf(() => pair),
      signal: controller.signal,
      log: (l) => lines.push(l),
      backoff: { initialMs: 1, maxMs: 2, jitter: 0 },
      rejoin: async () => {
        rejoins += 1;
        if (rejoins === 2) controller.abort(new Error('SIGTERM'));
        throw new KubejoinError('token-refused', 'the token was refused (HTTP 401)');
      },
    });
    assert.equal(code, 0);
    assert.equal(rejoins, 2);
    assert.ok(lines.includes('joining again failed: the token was refused (HTTP 401)'), lines.join('\n'));
    assert.ok(
      lines.some((l) => /^rotation failed \(attempt 1\): the token was refused/.test(l)),
      lines.join('\n'),
    );
  });

  it('expired without a token: exit 11 and the admin line for this node', async () => {
    const pair = await nodeCredential('kiosk-7', new Date(Date.now() - 2 * day), new Date(Date.now() - day));
    const lines: string[] = [];
    const code = await runRotationAgent({ locate: async () => storeOf(() => pair), signal: new AbortController().signal, log: (l) => lines.push(l) });
    assert.equal(code, 11);
    assert.ok(lines[0]!.includes('kubejoin token create --ttl 1h --description "rejoin kiosk-7" --print-join-command'), lines[0]);
  });
});
