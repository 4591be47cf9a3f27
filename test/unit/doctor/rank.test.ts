import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckId, CheckStatus, DoctorCheck, ErrorCategory } from '../../../agent/contract/index.js';
import { exitCodeOf, rankCauses } from '../../../agent/doctor/rank.js';

const check = (id: CheckId, status: CheckStatus, category?: ErrorCategory): DoctorCheck => ({
  id,
  status,
  summary: `${id} ${status}`,
  evidence: [],
  ...(category ? { category, fix: `fix ${id}` } : {}),
  durationMs: 0,
});

test('the clock ranks before the TLS failure it explains; warnings come last; each check once', () => {
  const checks = [
    check('proxy', 'pass'),
    check('clock', 'fail', 'clock'),
    check('cluster-info', 'warn'),
    check('pin', 'fail', 'untrusted-cluster'),
    check('token', 'skip'),
  ];
  // pin failed first in check order would still lose to the clock:
  const causes = rankCauses([checks[3]!, ...checks]);
  assert.deepEqual(
    causes.map((c) => c.check),
    ['clock', 'pin', 'cluster-info'],
  );
  assert.equal(exitCodeOf(causes), 8);
});

test('otherwise the earliest layer first: a refused port explains everything after it', () => {
  const causes = rankCauses([check('csr-rights', 'fail', 'token-refused'), check('tcp', 'fail', 'timeout'), check('signature', 'fail', 'token-refused')]);
  assert.deepEqual(
    causes.map((c) => c.check),
    ['tcp', 'signature', 'csr-rights'],
  );
  assert.equal(exitCodeOf(causes), 6);
});

test('only warnings: exit 0, the warning still listed', () => {
  const causes = rankCauses([check('tcp', 'pass'), check('clock', 'warn')]);
  assert.deepEqual(
    causes.map((c) => c.check),
    ['clock'],
  );
  assert.equal(exitCodeOf(causes), 0);
  assert.equal(exitCodeOf(rankCauses([check('tcp', 'pass')])), 0);
});

test('a fix already given is not given again: the later cause keeps its summary and category', () => {
  const signature = { ...check('signature', 'fail', 'untrusted-cluster'), fix: 'check the pin' };
  const pin = { ...check('pin', 'fail', 'untrusted-cluster'), fix: 'check the pin' };
  const causes = rankCauses([pin, signature, check('tls', 'warn')]);
  assert.deepEqual(causes, [
    { check: 'signature', summary: 'signature fail', fix: 'check the pin', category: 'untrusted-cluster' },
    { check: 'pin', summary: 'pin fail', category: 'untrusted-cluster' },
    { check: 'tls', summary: 'tls warn' },
  ]);
  assert.equal(exitCodeOf(causes), 3);
});
