import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoProxy, splitHostPort } from '../../../agent/transport/no-proxy.js';

// The table of golang.org/x/net/http/httpproxy's proxy_test.go (UseProxyTests, v0.47.0), the
// reading kubeadm and kubectl apply: `true` means the connection goes through the proxy.
const GO_NO_PROXY =
  'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64';

const GO_TABLE: [string, boolean][] = [
  ['localhost', false],
  ['127.0.0.1', false],
  ['127.0.0.2', false],
  ['[::1]', false],
  ['[::2]', true],
  ['192.168.1.1', false],
  ['192.168.1.2', true],
  ['192.168.1.3', false],
  ['192.168.1.4', true],
  ['10.0.0.2', false],
  ['[2001:db8::52:0:1]', false],
  ['[2001:db8::52:0:2]', true],
  ['[2001:db8::52:0:3]', false],
  ['[2002:db8:a::123]', false],
  ['[fe80::424b:c8be:1643:a1b6]', true],
  ['barbaz.net', true],
  ['www.barbaz.net', false],
  ['foobar.com', false],
  ['www.foobar.com', false],
  ['foofoobar.com', true],
  ['baz.com', true],
  ['localhost.net', true],
  ['local.localhost', true],
  ['barbarbaz.net', true],
  ['wildcard.io', true],
  ['nested.wildcard.io', false],
  ['awildcard.io', true],
];

test("NO_PROXY: Go's httpproxy table, port 80", () => {
  const np = new NoProxy(GO_NO_PROXY);
  for (const [host, proxied] of GO_TABLE) {
    const hp = splitHostPort(`${host}:80`)!;
    assert.equal(np.useProxy(hp.host, hp.port), proxied, `${host}:80`);
  }
});

test('NO_PROXY "*" bypasses the proxy for every host of the table', () => {
  const np = new NoProxy('*');
  for (const [host] of GO_TABLE) {
    const hp = splitHostPort(`${host}:80`)!;
    assert.equal(np.useProxy(hp.host, hp.port), false, host);
  }
});

test('NO_PROXY: ports, case, spaces, CIDRs and invalid entries', () => {
  const cases: [string, string, string, boolean][] = [
    // [NO_PROXY, host, port, proxied]
    ['', 'api.example.com', '6443', true],
    ['', 'localhost', '6443', false],
    ['', '127.1.2.3', '6443', false],
    ['', '::1', '6443', false],
    ['api.example.com:6443', 'api.example.com', '6443', false],
    ['api.example.com:6443', 'api.example.com', '443', true],
    ['API.Example.COM', 'api.example.com', '443', false],
    ['  .example.com  ,other', 'api.example.com', '443', false],
    ['.example.com', 'example.com', '443', true],
    ['example.com', 'example.com', '443', false],
    ['10.0.0.0/8', '10.200.3.4', '6443', false],
    ['10.0.0.0/8', '11.0.0.1', '6443', true],
    ['10.0.0.0/8', 'ten.example.com', '6443', true], // CIDRs match IP hosts only
    ['example.com', '93.184.216.34', '443', true], // domains never match IP hosts
    ['fd00::/8', 'fd12::1', '6443', false],
    ['192.168.1.5', '::ffff:192.168.1.5', '6443', false], // IPv4-mapped counts as IPv4
    [':1', 'example.com', '80', true], // Go's TestInvalidNoProxy: ignored, no crash
    [',,,', 'example.com', '80', true],
    // Where an earlier reading differed from Go's (golang.org/x/net v0.49.0 httpproxy):
    ['[2001:db8::1]', '2001:db8::1', '443', true], // brackets without a port: no IP to Go
    ['[2001:db8::1]:443', '2001:db8::1', '443', false],
    ['', 'LOCALHOST', '6443', true], // Go compares "localhost" before lower-casing
    ['localhost', 'LOCALHOST', '6443', false], // ...and NO_PROXY entries after
    ['::/0', '10.1.2.3', '6443', true], // an IPv6 CIDR matches IPv6 hosts only
    ['::/0', '2001:db8::7', '6443', false],
    ['::ffff:0:0/96', '10.1.2.3', '6443', false], // Go reads a v4-mapped network as IPv4
    ['::ffff:10.0.0.0/104', '10.1.2.3', '6443', false],
    ['::ffff:10.0.0.0/104', '11.1.2.3', '6443', true],
    ['10.0.0.0/8', '::ffff:a01:203', '6443', false], // 10.1.2.3, v4-mapped in hex
  ];
  for (const [noProxy, host, port, proxied] of cases) {
    assert.equal(new NoProxy(noProxy).useProxy(host, port), proxied, `NO_PROXY=${JSON.stringify(noProxy)} ${host}:${port}`);
  }
});

test('splitHostPort reads host:port as Go does', () => {
  assert.deepEqual(splitHostPort('a.b:80'), { host: 'a.b', port: '80' });
  assert.deepEqual(splitHostPort('[::1]:443'), { host: '::1', port: '443' });
  assert.equal(splitHostPort('a.b'), undefined);
  assert.equal(splitHostPort('2001:db8::1'), undefined);
  assert.equal(splitHostPort('[::1]'), undefined);
});
