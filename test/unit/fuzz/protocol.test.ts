import { describe, it } from 'node:test';
import { parseToken } from '../../../agent/protocol/token.js';
import { parsePin, PinSet } from '../../../agent/protocol/pin.js';
import { parseGoDuration } from '../../../agent/protocol/go-time.js';
import { parseDuration } from '../../../agent/protocol/duration.js';
import { verifyDetached } from '../../../agent/protocol/jws.js';
import { clusterOf } from '../../../agent/protocol/kubeconfig.js';
import { endpointProblem, pinProblem, tokenProblem, timerDurationProblem } from '../../../agent/contract/index.js';
import { KubejoinError } from '../../../agent/errors.js';
import { anyText, checkParser, fc, withToken } from './fuzz.js';

// Property tests: the protocol's parsers of untrusted text (token, CA pin, Go duration,
// endpoint, JWS, cluster-info's kubeconfig). Only typed errors, no crash, no hang, no secret.

const problem = (p: string | undefined): void => {
  if (p !== undefined) throw new KubejoinError('invalid-input', p);
};

describe('fuzz: protocol parsers', () => {
  it('token', () => checkParser('parseToken', withToken(anyText), (s) => parseToken(s)));
  it('token (contract check)', () => checkParser('tokenProblem', withToken(anyText), (s) => problem(tokenProblem(s))));

  const pinText = fc.oneof(
    anyText,
    fc
      .tuple(fc.constantFrom('sha256:', 'SHA256:', 'sha1:', ''), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFg'.split('')), maxLength: 70 }))
      .map(([a, b]) => a + b),
  );
  it('CA pin', () =>
    checkParser('parsePin', withToken(pinText), (s) => {
      problem(pinProblem(s));
      parsePin(s);
      new PinSet([s]);
    }));

  const durationText = fc.oneof(
    anyText,
    fc
      .array(
        fc.tuple(fc.oneof(fc.nat().map(String), fc.double({ noNaN: true }).map(String)), fc.constantFrom('ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h', '', 'd')),
        { maxLength: 6 },
      )
      .map((parts) => parts.map(([n, u]) => n + u).join('')),
  );
  it('Go duration', () =>
    checkParser('parseGoDuration', withToken(durationText), (s) => {
      parseGoDuration(s);
      const ms = parseDuration(s);
      if (ms !== undefined) problem(timerDurationProblem(ms));
    }));

  const endpointText = fc.oneof(
    anyText,
    fc
      .tuple(
        fc.oneof(
          fc.ipV4(),
          fc.ipV6().map((v) => `[${v}]`),
          fc.domain(),
        ),
        fc.integer({ min: -5, max: 70000 }),
      )
      .map(([h, p]) => `${h}:${p}`),
  );
  it('endpoint', () => checkParser('endpointProblem', withToken(endpointText), (s) => problem(endpointProblem(s))));

  const jwsText = fc.oneof(
    anyText,
    fc.tuple(fc.base64String(), fc.base64String()).map(([a, b]) => `${a}..${b}`),
    fc.json().map((j) => `${Buffer.from(j).toString('base64url')}..`),
  );
  it('JWS', () => checkParser('verifyDetached', withToken(jwsText), (s) => verifyDetached('content', s, 'abcdef', '0123456789abcdef')));

  const kubeconfigText = fc.oneof(
    anyText,
    fc
      .record({ server: fc.oneof(fc.webUrl(), anyText), ca: fc.oneof(fc.base64String(), anyText), name: anyText })
      .map(
        (r) =>
          `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ${r.ca}\n    server: ${r.server}\n  name: "${r.name.replace(/["\\\n]/g, '')}"\nkind: Config\n`,
      ),
    fc.json(),
  );
  it('cluster-info kubeconfig', () => checkParser('clusterOf', withToken(kubeconfigText), (s) => clusterOf(s, 'cluster-info')));
});
