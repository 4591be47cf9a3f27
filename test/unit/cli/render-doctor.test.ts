import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderDoctorText } from '../../../agent/cli/render/doctor.js';
import type { DoctorCause, DoctorReport } from '../../../agent/contract/index.js';

// The doctor's text: the most likely cause leads with its fix; every other cause, once, under
// one "Also:" heading, in the order of -o json's causes.

function report(causes: DoctorCause[], exitCode: number): DoctorReport {
  return { endpoint: 'h:6443', ok: exitCode === 0, exitCode, checks: [], causes, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1200 };
}

const tail = (text: string): string => text.slice(text.indexOf('Most likely'));

describe('doctor text: the causes', () => {
  it('valid: the first leads, the rest under one "Also:", each fix under its own cause, the exit line last', () => {
    const text = renderDoctorText(
      report(
        [
          { check: 'signature', summary: 'no signature', fix: 'new token', category: 'token-refused' },
          { check: 'pin', summary: 'no pin matches', category: 'untrusted-cluster' },
          { check: 'tls', summary: 'name missing', fix: 'use a name it holds' },
        ],
        4,
      ),
    );
    assert.equal(
      tail(text),
      [
        'Most likely cause (cluster-info signed for the token): no signature',
        '  Fix: new token',
        '',
        'Also:',
        '  - CA pin and verified TLS: no pin matches',
        '  - TLS handshake (warning): name missing',
        '    Fix: use a name it holds',
        '',
        '(exit 4: the token was refused)',
        '',
      ].join('\n'),
    );
  });

  it('valid: one cause: no "Also:"; only warnings: says nothing failed, no exit line', () => {
    assert.doesNotMatch(renderDoctorText(report([{ check: 'tcp', summary: 'refused', fix: 'check the port', category: 'timeout' }], 6)), /Also/);
    const warned = renderDoctorText(report([{ check: 'clock', summary: 'off by 6 minutes', fix: 'set the clock' }], 0));
    assert.match(warned, /^Nothing failed; warning \(Clock skew\): off by 6 minutes\n {2}Fix: set the clock\n$/m);
    assert.doesNotMatch(warned, /exit/);
  });
});
