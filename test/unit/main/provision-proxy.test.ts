// The provisioning file's `proxy:` (docs/protocol.md §3.11): carried into the join request;
// a bad one is a problem with its line, and its credentials are never shown.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProvision } from '../../../main/provision.js';

const TOKEN = 'abcdef.0123456789abcdef';
const PIN = `sha256:${'c'.repeat(64)}`;
const noTokenFile = async (): Promise<string> => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOENT' }));
const file = (proxy: string): string => `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes: ${PIN}\nproxy: ${proxy}\n`;

describe('provisioning file: proxy', () => {
  it('valid: an http proxy with credentials goes into the request as given', async () => {
    const r = await parseProvision(file('http://kiosk:pr0xy-pa55@proxy.example:3128'), '/p.yaml', noTokenFile);
    assert.equal(r.ok, true);
    assert.equal(r.ok && r.provision.request.proxy, 'http://kiosk:pr0xy-pa55@proxy.example:3128');
  });

  it('invalid: another scheme is a problem on its line, credentials masked', async () => {
    const r = await parseProvision(file('socks5://kiosk:pr0xy-pa55@proxy.example:1080'), '/p.yaml', noTokenFile);
    assert.equal(r.ok, false);
    const problems = r.ok ? [] : r.problems;
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0]!, /^\/p\.yaml:4: the proxy "socks5:\/\/\*\*\*@proxy\.example:1080" uses socks5:\/\/; only http:\/\/ and https:\/\/ proxies/);
    assert.ok(!problems[0]!.includes('pr0xy-pa55'));
  });

  it('invalid: a proxy with a path', async () => {
    const r = await parseProvision(file('http://proxy.example:3128/some/path'), '/p.yaml', noTokenFile);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.problems[0]!, /has a path/);
  });

  it('invalid: a password with an unencoded "/" or a stray "%" is a problem on its line, masked whole', async () => {
    for (const [password, re] of [
      ['pr0xy/pa55', /^\/p\.yaml:4: the proxy "http:\/\/\*\*\*@proxy\.example:3128" is not a valid URL/],
      ['pr0xy%zzpa55', /^\/p\.yaml:4: the proxy "http:\/\/\*\*\*@proxy\.example:3128": its user or password is not valid percent-encoding/],
    ] as const) {
      const r = await parseProvision(file(`http://kiosk:${password}@proxy.example:3128`), '/p.yaml', noTokenFile);
      assert.equal(r.ok, false);
      const problem = r.ok ? '' : r.problems.join('\n');
      assert.match(problem, re);
      assert.ok(!problem.includes('pa55'), problem);
    }
  });
});
