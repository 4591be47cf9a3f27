import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBuilt, kubejoin } from '../helpers/cli.js';
import { PIN, TOKEN } from '../helpers/fixtures.js';

// Every command that takes a duration reads it by one rule (agent/protocol/duration.ts): the
// built CLI, for each such flag, with values a timer cannot hold, negative and malformed. Each
// is exit 2 with a message naming the flag and the value, before anything is contacted, and
// nothing else on stderr (no TimeoutOverflowWarning from a timer that fired at once).

before(ensureBuilt);

// Each command with the arguments it needs to get as far as its flags; none reaches a server
// (127.0.0.1:1 refuses, /nonexistent is not a kubeconfig).
const COMMANDS: [string, string[], string][] = [
  ['join --timeout', ['join', '127.0.0.1:1', '--token', TOKEN, '--discovery-token-ca-cert-hash', PIN], 'timeout'],
  ['join --discovery-timeout', ['join', '127.0.0.1:1', '--token', TOKEN, '--discovery-token-ca-cert-hash', PIN], 'discovery-timeout'],
  ['doctor --timeout', ['doctor', '127.0.0.1:1'], 'timeout'],
  ['renew --timeout', ['renew', '--kubeconfig', '/nonexistent'], 'timeout'],
  ['token create --request-timeout', ['token', 'create', '--kubeconfig', '/nonexistent'], 'request-timeout'],
  ['token list --request-timeout', ['token', 'list', '--kubeconfig', '/nonexistent'], 'request-timeout'],
  ['token delete --request-timeout', ['token', 'delete', 'abcdef', '--kubeconfig', '/nonexistent'], 'request-timeout'],
  ['token prune --request-timeout', ['token', 'prune', '--kubeconfig', '/nonexistent'], 'request-timeout'],
  ['cluster prepare --request-timeout', ['cluster', 'prepare', '--kubeconfig', '/nonexistent'], 'request-timeout'],
  ['cluster sign --request-timeout', ['cluster', 'sign', '--kubeconfig', '/nonexistent'], 'request-timeout'],
];

const VALUES: [string, RegExp][] = [
  ['600h', /is longer than a timer can hold: use at most 596h/],
  ['1500us', /is finer than the 1 ms a timer counts in/],
  ['-1s', /is negative: use e\.g\. 30s, 5m or 1h30m/],
  ['abc', /is not a duration: use e\.g\. 30s, 5m or 1h30m/],
];

describe('one duration flag type, every command', { concurrency: 4 }, () => {
  for (const [name, args, flag] of COMMANDS) {
    for (const [value, why] of VALUES) {
      it(`invalid: ${name} ${value} is exit 2 with a clear message`, async () => {
        // `=`: parseArgs would take "-1s" for a flag otherwise.
        const r = await kubejoin([...args, `--${flag}=${value}`]);
        assert.equal(r.code, 2, r.stderr);
        const lines = r.stderr.split('\n').filter((l) => l !== '' && !/^warning: a token given with --token/.test(l));
        assert.ok(lines[0]!.startsWith(`error: --${flag} "${value}" `), lines[0]);
        assert.match(lines[0]!, why);
        assert.deepEqual(lines.slice(1), ['  Run with --help for usage.'], 'nothing else on stderr');
        assert.doesNotMatch(r.stderr, /Warning|internal error/);
      });
    }
  }
  it('valid: --request-timeout 0 (never) and a bare number of seconds, as kubectl', async () => {
    for (const value of ['0', '30']) {
      const r = await kubejoin(['token', 'list', '--kubeconfig', '/nonexistent', '--request-timeout', value]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /cannot load kubeconfig \/nonexistent/, 'got past the flag');
    }
  });
  // A token's TTL becomes a date, not a timer: 8760h is a year, 0 never expires.
  for (const [value, ok] of [
    ['600h', true],
    ['8760h', true],
    ['0', true],
    ['-1s', false],
    ['abc', false],
  ] as const) {
    it(`${ok ? 'valid' : 'invalid'}: token create --ttl ${value}`, async () => {
      const r = await kubejoin(['token', 'create', '--kubeconfig', '/nonexistent', `--ttl=${value}`]);
      assert.equal(r.code, 2, r.stderr);
      if (ok) assert.match(r.stderr, /cannot load kubeconfig \/nonexistent/, 'got past the flag');
      else assert.match(r.stderr, new RegExp(`^error: --ttl "${value}" is (negative|not a duration)`));
    });
  }
});
