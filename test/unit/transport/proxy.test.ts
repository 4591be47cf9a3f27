import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubejoinError } from '../../../agent/errors.js';
import { describeRoute, maskProxyUrl, proxyConfig, proxyFor } from '../../../agent/transport/proxy.js';

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
