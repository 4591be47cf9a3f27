import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinRequestProblems, maskSecrets, maskUrlCredentials, proxyProblem } from '../../../agent/contract/index.js';

test('maskUrlCredentials hides user:password of every URL in a text', () => {
  assert.equal(maskUrlCredentials('via http://u:p4ss@proxy:3128 and https://a@b/c'), 'via http://***@proxy:3128 and https://***@b/c');
  assert.equal(maskUrlCredentials('http://proxy:3128 no credentials'), 'http://proxy:3128 no credentials');
  assert.equal(maskUrlCredentials('mail me: user@example.com'), 'mail me: user@example.com', 'not a URL');
});

test('maskSecrets (every message of the CLI and main) also hides proxy credentials', () => {
  const out = maskSecrets('proxy http://kiosk:pr0xy@p:1 token abcdef.0123456789abcdef', []);
  assert.match(out, /^proxy http:\/\/\*\*\*@p:1 token abcdef\./);
  assert.ok(!out.includes('pr0xy') && !out.includes('0123456789abcdef'), out);
});

test('proxyProblem: http:// and https:// proxies only, no path, credentials never echoed', () => {
  assert.equal(proxyProblem('http://proxy.example:3128'), undefined);
  assert.equal(proxyProblem('proxy.example:3128'), undefined, 'no scheme means http://, as Go reads it');
  assert.equal(proxyProblem('http://u:p@proxy.example:3128'), undefined);
  assert.match(proxyProblem('socks5://u:s3cret@p:1080')!, /^the proxy "socks5:\/\/\*\*\*@p:1080" uses socks5:\/\//);
  assert.match(proxyProblem('http://u:s3cret@p:3128/x')!, /has a path/);
  assert.equal(proxyProblem('https://u:s3cret@p:3128'), undefined);
  assert.ok(!proxyProblem('ftp://u:s3cret@p:21')!.includes('s3cret'));
  const problems = joinRequestProblems({
    endpoint: '10.0.0.1:6443',
    token: 'abcdef.0123456789abcdef',
    caCertHashes: [`sha256:${'a'.repeat(64)}`],
    proxy: 'ftp://p:21',
  });
  assert.deepEqual(
    problems.map((p) => p.field),
    ['proxy'],
  );
});
