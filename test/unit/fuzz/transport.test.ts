import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, readBounded } from '../../../agent/transport/body.js';
import { BodyLimitError } from '../../../agent/transport/errors.js';
import { retryAfterMs, RETRY_AFTER_CAP_MS } from '../../../agent/transport/retry.js';
import { fc, RUNS, TIME_LIMIT_MS } from './fuzz.js';

// Property tests of the transport's own parsers: the watch line splitter and the bounded
// UTF-8 reader under any chunking, and Retry-After.

const opts = { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false };

/** Cuts `bytes` at the given points (any chunking a network may produce). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  return out;
}

async function* from(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

describe('fuzz: transport parsers', () => {
  it('watch line splitter: the same lines whatever the chunking; a line over the cap is a BodyLimitError', () =>
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.integer({ min: 1, max: 120 }),
        (lines, cuts, limit) => {
          const text = lines.join('\n');
          const bytes = Buffer.from(text);
          const expected = text
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l !== '');
          const splitter = new LineSplitter(limit, 'one watch event');
          const got: string[] = [];
          try {
            for (const c of chunked(bytes, cuts)) got.push(...splitter.push(c));
            const last = splitter.end();
            if (last !== undefined) got.push(last);
          } catch (err) {
            assert.ok(err instanceof BodyLimitError, `untyped ${(err as Error).name}`);
            assert.ok(
              text.split('\n').some((l) => Buffer.byteLength(l) > limit),
              'only a line over the cap fails',
            );
            return;
          }
          assert.ok(text.split('\n').every((l) => Buffer.byteLength(l) <= limit));
          assert.deepEqual(got, expected);
        },
      ),
      opts,
    ));

  it('bounded reader: UTF-8 decoded across any chunk boundary; over the cap is a BodyLimitError', async () =>
    fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 0, max: 900 }),
        async (text, cuts, limit) => {
          const bytes = Buffer.from(text);
          try {
            assert.equal(await readBounded(from(chunked(bytes, cuts)), limit, () => new BodyLimitError('the response', limit)), text);
            assert.ok(bytes.length <= limit);
          } catch (err) {
            assert.ok(err instanceof BodyLimitError, `untyped ${(err as Error).name}`);
            assert.ok(bytes.length > limit);
            assert.match(err.message, /larger than the limit of/);
          }
        },
      ),
      opts,
    ));

  it('Retry-After: any header value gives a wait in [0, cap] or none', () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.nat().map(String),
          fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
        ),
        (value) => {
          const ms = retryAfterMs({ 'retry-after': value });
          assert.ok(ms === undefined || (ms >= 0 && ms <= RETRY_AFTER_CAP_MS), String(ms));
        },
      ),
      opts,
    ));
});
