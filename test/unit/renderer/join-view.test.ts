// The renderer's pure parts: the step reducer (replayable after a reload) and the
// diagnostics text (never a token).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PHASES, type JoinSnapshot } from '../../../agent/contract/index.js';
import { diagnosticsText } from '../../../renderer/diagnostics.js';
import { applyEvent, emptyView, failureOf, viewFromSnapshot } from '../../../renderer/join-view.js';
import { scrub } from '../../../renderer/scrub.js';
import { FACTS, failEvents, okEvents } from '../../helpers/fake-engine.js';
import { TOKEN } from '../../helpers/fixtures.js';

describe('renderer join view', () => {
  it('starts with every phase pending', () => {
    const v = emptyView();
    assert.deepEqual(
      v.steps.map((s) => s.phase),
      [...PHASES],
    );
    assert.ok(v.steps.every((s) => s.state === 'pending'));
  });

  it('steps go running → done, with the latest progress message and attempt', () => {
    const events = okEvents();
    const midway = events.slice(0, 5).reduce(applyEvent, emptyView(1, 'running'));
    const discover = midway.steps.find((s) => s.phase === 'discover');
    assert.equal(discover?.state, 'running');
    assert.equal(discover?.attempt, 2);
    assert.match(discover?.message ?? '', /attempt 2/);
    const done = events.reduce(applyEvent, emptyView(1, 'running'));
    assert.equal(done.steps.find((s) => s.phase === 'discover')?.state, 'done');
    assert.equal(done.steps.find((s) => s.phase === 'discover')?.durationMs, 3);
    assert.equal(done.result?.ok, true);
  });

  it('a failed step carries its error; failureOf finds it', () => {
    const v = failEvents().reduce(applyEvent, emptyView(1, 'failed'));
    assert.equal(v.steps.find((s) => s.phase === 'pin-ca')?.state, 'failed');
    assert.equal(failureOf(v)?.error.category, 'untrusted-cluster');
    assert.equal(failureOf(v)?.phase, 'pin-ca');
  });

  it('a snapshot replays to the same view', () => {
    const snap: JoinSnapshot = { joinId: 3, status: 'failed', events: failEvents(), request: { endpoint: '10.0.0.1:6443' } };
    const v = viewFromSnapshot(snap);
    assert.equal(v.joinId, 3);
    assert.deepEqual(v.steps, failEvents().reduce(applyEvent, emptyView(3, 'failed')).steps);
  });

  it('diagnostics name the failure and its exit code, and never a token', () => {
    const v = { ...viewFromSnapshot({ joinId: 1, status: 'failed', events: failEvents(), request: { endpoint: '10.0.0.1:6443', nodeName: TOKEN } }) };
    const text = diagnosticsText(v, FACTS, [TOKEN], new Date(0));
    assert.match(text, /exit code: 3 \(untrusted-cluster/);
    assert.match(text, /failed step: pin-ca/);
    assert.match(text, /hostname: kiosk-7/);
    assert.ok(!text.includes('0123456789abcdef'), text);
  });

  it('scrub hides the typed token and anything token-shaped', () => {
    assert.equal(scrub(`the endpoint "${TOKEN}" must be host:port`, [TOKEN]), 'the endpoint "[hidden]" must be host:port');
    assert.equal(scrub('x qwerty.0123456789abcdef y'), 'x qwerty.[hidden] y');
  });
});
