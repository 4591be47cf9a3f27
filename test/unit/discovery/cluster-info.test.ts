import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterInfo } from '../../../agent/discovery/cluster-info.js';
import type { Response } from '../../../agent/transport/http.js';

// What one answer of kube-public/cluster-info says (docs/protocol.md §3.1-3.2): the kubeconfig,
// and a signature looked up by token id among however many the cluster signs for.

const answer = (data: unknown, status = 200): Response => ({ status, headers: {}, body: JSON.stringify({ data }) });

describe('parseClusterInfo', () => {
  it('valid: finds the one signature of a token among a fleet of them', () => {
    const data: Record<string, unknown> = { kubeconfig: 'apiVersion: v1\n' };
    for (let i = 0; i < 2000; i++) data[`jws-kubeconfig-${String(i).padStart(6, 'a')}`] = `sig-${i}`;
    const r = parseClusterInfo(answer(data));
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    assert.equal(r.data.kubeconfig, 'apiVersion: v1\n');
    assert.equal(r.data.signatureOf('aaa123'), 'sig-123');
    assert.equal(r.data.signedIds().length, 2000);
  });

  it('invalid: a token without a signature, a signature that is not a string, and inherited names find nothing', () => {
    const r = parseClusterInfo(answer({ kubeconfig: 'x', 'jws-kubeconfig-abcdef': 7, 'jws-kubeconfig-ghijkl': 'sig', other: 'y' }));
    assert.equal(r.kind, 'ok');
    if (r.kind !== 'ok') return;
    assert.equal(r.data.signatureOf('abcdef'), undefined);
    assert.equal(r.data.signatureOf('zzzzzz'), undefined);
    assert.equal(r.data.signatureOf('__proto__'), undefined);
    assert.equal(r.data.signatureOf('constructor'), undefined);
    assert.deepEqual(r.data.signedIds(), ['ghijkl']);
  });

  it('invalid: no kubeconfig key, or an answer that is not JSON, is not a cluster-info', () => {
    assert.equal(parseClusterInfo(answer({ 'jws-kubeconfig-abcdef': 's' })).kind, 'unprepared');
    assert.equal(parseClusterInfo({ status: 200, headers: {}, body: '{' }).kind, 'unreachable');
    assert.equal(parseClusterInfo(answer({}, 404)).kind, 'unprepared');
  });
});
