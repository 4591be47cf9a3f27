import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateClientKey } from '../../../agent/csr/key.js';
import { createCsrPem, nodeSubject, parseCsrPem } from '../../../agent/csr/pkcs10.js';
import { CASE_LIMIT_MS, fc, RUNS, TIME_LIMIT_MS } from './fuzz.js';

// The request an API server returns for an existing CSR (docs/protocol.md §4.5) is untrusted:
// our DER reader, given a valid request with bytes changed, cut or added, returns or throws an
// Error, quickly; never a wrong "valid" verdict for bytes the key did not sign.

const key = generateClientKey();
const valid = Buffer.from(createCsrPem(key, nodeSubject('fuzz')).replace(/-----[^-]+-----|\s/g, ''), 'base64');
const pem = (b: Buffer): string => `-----BEGIN CERTIFICATE REQUEST-----\n${b.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
const edit = fc.tuple(fc.nat(), fc.nat(4), fc.uint8Array({ maxLength: 6 }));

describe('fuzz: PKCS#10 reader', () => {
  it('changed requests: an Error or a result; valid only when the bytes are the signed ones', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let b = Buffer.from(valid);
        for (const [at, len, ins] of edits) {
          const i = at % (b.length + 1);
          b = Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(i + len)]);
        }
        const started = performance.now();
        try {
          const parsed = parseCsrPem(pem(b));
          if (parsed.signatureValid && !b.equals(valid)) {
            // Only bytes outside the signed part and the signature may differ (there are none in DER).
            assert.fail(`a changed request verified: ${b.toString('hex')}`);
          }
        } catch (err) {
          assert.ok(err instanceof Error, 'only Errors');
        }
        assert.ok(performance.now() - started < CASE_LIMIT_MS);
      }),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
  });
});
