// The join as main holds it: updates for every event, a compact snapshot for a reloading
// window, secrets scrubbed, cancel, and an engine that throws.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JoinEvent, JoinResult, JoinUpdate } from '../../../agent/contract/index.js';
import { JoinSession, type JoinFn } from '../../../main/join-session.js';
import { redactText, secretsOf } from '../../../main/redact.js';
import { okEvents, scriptedEngine } from '../../helpers/fake-engine.js';
import { TOKEN } from '../../helpers/fixtures.js';

describe('join session', () => {
  it('forwards every event and keeps only the latest progress per phase in the snapshot', async () => {
    const updates: JoinUpdate[] = [];
    const engine = scriptedEngine([okEvents()]);
    const session = new JoinSession(engine.join, (u) => updates.push(u), { certDir: '/var/lib/kubejoin' });
    const first = session.start({ endpoint: '10.0.0.1:6443', token: TOKEN, nodeName: 'n1' });
    assert.deepEqual(first, { joinId: 1, status: 'running', events: [], request: { endpoint: '10.0.0.1:6443', nodeName: 'n1' } });
    assert.equal(await session.settled(), 'succeeded');
    assert.equal(updates.filter((u) => u.event).length, okEvents().length);
    const snap = session.snapshot();
    assert.equal(snap.status, 'succeeded');
    assert.deepEqual(
      snap.events.filter((e) => e.type === 'progress').map((e) => e.type === 'progress' && e.attempt),
      [2],
    );
    assert.equal(engine.requests[0]?.certDir, '/var/lib/kubejoin', 'main adds its defaults');
  });

  it('scrubs a token that an event should never have carried', async () => {
    const leaky: JoinFn = async function* () {
      yield { type: 'progress', phase: 'discover', message: `using ${TOKEN}`, at: 1 };
      yield { type: 'progress', phase: 'validate', message: 'secret 0123456789abcdef', at: 1 };
      const result: JoinResult = { ok: false, error: { category: 'internal', exitCode: 1, message: `boom ${TOKEN}` }, durationMs: 1, phaseDurationsMs: {} };
      yield { type: 'result', result, at: 2 };
      return result;
    };
    const updates: JoinUpdate[] = [];
    const session = new JoinSession(leaky, (u) => updates.push(u));
    session.start({ token: TOKEN });
    assert.equal(await session.settled(), 'failed');
    const all = JSON.stringify([updates, session.snapshot()]);
    assert.ok(!all.includes('0123456789abcdef'), all);
  });

  it('cancel ends a running join as cancelled', async () => {
    const session = new JoinSession(scriptedEngine([]).join, () => {});
    session.start({ token: TOKEN });
    assert.throws(() => session.start({ token: TOKEN }), /already running/);
    session.cancel();
    assert.equal(await session.settled(), 'cancelled');
    assert.equal(session.snapshot().status, 'cancelled');
  });

  it('an engine that throws ends as an internal failure with a result event', async () => {
    const broken: JoinFn = async function* (): AsyncGenerator<JoinEvent, JoinResult, void> {
      yield { type: 'started', phase: 'validate', at: 0 };
      throw new Error('disk on fire');
    };
    const session = new JoinSession(broken, () => {});
    session.start({});
    assert.equal(await session.settled(), 'failed');
    const last = session.snapshot().events.at(-1);
    assert.equal(last?.type, 'result');
    assert.match(last?.type === 'result' && !last.result.ok ? last.result.error.message : '', /internal error: disk on fire/);
  });

  it('a listener that throws does not stop the join', async () => {
    const session = new JoinSession(scriptedEngine([okEvents()]).join, () => {
      throw new Error('window gone');
    });
    session.start({});
    assert.equal(await session.settled(), 'succeeded');
  });

  it('redaction covers the whole token, its secret, and any token-shaped text', () => {
    const s = secretsOf(TOKEN);
    assert.deepEqual(s, [TOKEN, '0123456789abcdef']);
    assert.equal(redactText(`a ${TOKEN} b 0123456789abcdef c zyxwvu.abcdefghijklmnop`, s), 'a [redacted] b [redacted] c zyxwvu.[redacted]');
  });
});
