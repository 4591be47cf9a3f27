import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinRequestProblems, maskProxyUrl, maskSecrets, maskUrlCredentials, proxyProblem } from '../../../agent/contract/index.js';

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

test('invalid: a password with an unencoded "/", "@" or "#" is masked whole; a stray "%" is a problem', () => {
  assert.equal(maskUrlCredentials('proxy http://u:pa/ss@h:1 failed'), 'proxy http://***@h:1 failed');
  assert.equal(maskUrlCredentials('"http://u:p@ss@h:1"'), '"http://***@h:1"');
  assert.equal(maskProxyUrl('http://u:pa/s#s@h:1'), 'http://***@h:1');
  assert.equal(maskProxyUrl('u:pa/ss@h:1'), '***@h:1');
  assert.equal(maskProxyUrl('http://h:1'), 'http://h:1');
  for (const [value, re] of [
    ['http://u:pa/ss@127.0.0.1:1', /^the proxy "http:\/\/\*\*\*@127\.0\.0\.1:1" is not a valid URL: .*%2F/],
    ['http://u:pa%zzss@127.0.0.1:1', /^the proxy "http:\/\/\*\*\*@127\.0\.0\.1:1": its user or password is not valid percent-encoding: write "%" as %25$/],
    ['u:pa#ss@127.0.0.1:1', /^the proxy "http:\/\/\*\*\*@127\.0\.0\.1:1"/],
  ] as const) {
    const problem = proxyProblem(value);
    assert.match(problem ?? 'no problem', re);
    assert.ok(!/pa\/ss|zzss|pa#ss/.test(problem!), problem);
  }
});
