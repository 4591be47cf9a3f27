import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubejoinError } from '../../../agent/errors.js';
import { describeRoute, maskProxyUrl, openTunnel, proxyConfig, proxyFor, ProxyError } from '../../../agent/transport/proxy.js';

test('proxyConfig: --proxy wins over HTTPS_PROXY, which wins over https_proxy; no scheme means http://', () => {
  assert.equal(proxyConfig({}), undefined);
  const env = { HTTPS_PROXY: 'upper.example:3128', https_proxy: 'http://lower.example:3128' };
  assert.equal(proxyConfig(env)?.url.href, 'http://upper.example:3128/');
  assert.equal(proxyConfig(env)?.source, 'HTTPS_PROXY');
  assert.equal(proxyConfig({ https_proxy: 'http://lower.example:3128' })?.source, 'https_proxy');
  const explicit = proxyConfig(env, { value: 'http://flag.example:8080', source: '--proxy' });
  assert.equal(explicit?.url.host, 'flag.example:8080');
  assert.equal(explicit?.source, '--proxy');
  assert.equal(proxyConfig({ HTTP_PROXY: 'http://plain.example:80' }), undefined, 'HTTP_PROXY is for http:// URLs: the join speaks https only');
});

test('proxyConfig: credentials are kept for the CONNECT and masked for display', () => {
  const c = proxyConfig({ HTTPS_PROXY: 'http://us%40er:p%3Ass@proxy.example:3128' })!;
  assert.equal(c.display, 'http://***@proxy.example:3128');
  assert.equal(decodeURIComponent(c.url.password), 'p:ss');
  assert.equal(maskProxyUrl('user:pw@proxy:1'), '***@proxy:1');
});

test('proxyConfig: unsupported or malformed proxies are exit 2, credentials masked', () => {
  for (const [value, re] of [
    ['socks5://u:secretpw@proxy:1080', /socks5:\/\/\*\*\*@proxy:1080.*only http:\/\/ and https:\/\/ proxies/],
    ['ftp://u:secretpw@proxy:21', /uses ftp:\/\//],
    ['http://u:secretpw@proxy:3128/path', /has a path/],
  ] as const) {
    assert.throws(
      () => proxyConfig({ HTTPS_PROXY: value }),
      (err: unknown) => {
        assert.ok(err instanceof KubejoinError);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, re);
        assert.ok(!err.message.includes('secretpw'));
        return true;
      },
    );
  }
});

test('proxyFor and describeRoute follow NO_PROXY and never proxy loopback', () => {
  const c = proxyConfig({ HTTPS_PROXY: 'http://proxy.example:3128', NO_PROXY: '.corp,10.0.0.0/8' })!;
  assert.equal(proxyFor(c, 'api.example.com', 6443), c);
  assert.equal(proxyFor(c, 'api.corp', 6443), undefined);
  assert.equal(proxyFor(c, '10.1.2.3', 6443), undefined);
  assert.equal(proxyFor(c, '127.0.0.1', 6443), undefined);
  assert.match(describeRoute(c, 'api.example.com:6443')!, /through the proxy http:\/\/proxy\.example:3128 \(HTTPS_PROXY\)/);
  assert.match(describeRoute(c, 'api.corp:6443')!, /directly: NO_PROXY exempts it/);
  assert.match(describeRoute(c, '127.0.0.1:6443')!, /directly: loopback is never proxied/);
  assert.equal(describeRoute(undefined, 'api.example.com:6443'), undefined);
});

test('invalid: proxy credentials with an unencoded "/" or a stray "%": exit 2, the password never shown', () => {
  for (const [value, re] of [
    ['http://user:pa/ss@proxy.example:3128', /^the proxy "http:\/\/\*\*\*@proxy\.example:3128" \(HTTPS_PROXY\) has a path/],
    [
      'http://user:pa%zzss@proxy.example:3128',
      /^the proxy "http:\/\/\*\*\*@proxy\.example:3128" \(HTTPS_PROXY\): its user or password is not valid percent-encoding/,
    ],
    ['user:pa%zzss@proxy.example:3128', /^the proxy "\*\*\*@proxy\.example:3128" \(HTTPS_PROXY\): its user or password/],
  ] as const) {
    assert.throws(
      () => proxyConfig({ HTTPS_PROXY: value }),
      (err: unknown) => {
        assert.ok(err instanceof KubejoinError);
        assert.equal(err.exitCode, 2);
        assert.match(err.message, re);
        assert.match(err.hint ?? '', /Percent-encode "\/", "@", "#", "\?" and "%"/);
        assert.ok(!`${err.message} ${err.hint}`.includes('pa/ss') && !`${err.message} ${err.hint}`.includes('zzss'), err.message);
        return true;
      },
    );
  }
  assert.equal(maskProxyUrl('http://u:p@ss/x#y@proxy:3128'), 'http://***@proxy:3128');
});

test('invalid: a ProxyConfig whose credentials cannot be decoded fails the tunnel, it does not throw in a listener', async () => {
  const config = { ...proxyConfig({ HTTPS_PROXY: 'http://127.0.0.1:1' })!, url: new URL('http://u:bad%zz@127.0.0.1:1') };
  await assert.rejects(openTunnel(config, 'api.example.com', 443), (err: unknown) => {
    assert.ok(err instanceof ProxyError);
    assert.match(err.message, /not valid percent-encoding/);
    assert.ok(!err.message.includes('bad%zz'));
    return true;
  });
});
