import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { TOKEN } from '../helpers/fixtures.js';
import { cliEnv, ensureBuilt, kubejoin, type Run } from '../helpers/cli.js';

// Proxy credentials the URL grammar cannot hold (an unencoded "/", a "%" not followed by two
// hex digits) are a usage error when the proxy is read (exit 2), before any connection, and
// the password never reaches the output (docs/protocol.md §3.11). No cluster: the join stops
// at validation, and the proxy is a listener of our own that records what reaches it.

const PASSWORDS = ['pa/ss-w0rd', 'pa%zz-w0rd'];

function assertHidden(r: Run, password: string): void {
  for (const fragment of [password, password.slice(3), encodeURIComponent(password)]) {
    assert.ok(!r.stdout.includes(fragment), `the password reached stdout: ${r.stdout}`);
    assert.ok(!r.stderr.includes(fragment), `the password reached stderr: ${r.stderr}`);
  }
}

async function listener(t: { after: (fn: () => void) => void }): Promise<{ port: number; received: () => string }> {
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => s.on('data', (d: Buffer) => chunks.push(d)).on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { port: (server.address() as AddressInfo).port, received: () => Buffer.concat(chunks).toString('latin1') };
}

const joinArgs = ['join', '10.0.0.1:6443', '--discovery-token-unsafe-skip-ca-verification', '--discovery-timeout', '3s'];
const env = cliEnv({ KUBEJOIN_TOKEN: TOKEN, HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined });

describe('proxy credentials the URL cannot hold', () => {
  before(ensureBuilt);

  for (const password of PASSWORDS) {
    it(`invalid: join --proxy with the password ${JSON.stringify(password.slice(0, 5))}…: exit 2, masked`, async (t) => {
      const proxy = await listener(t);
      const r = await kubejoin([...joinArgs, '--proxy', `http://edge:${password}@127.0.0.1:${proxy.port}`], { env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`error: the proxy "http://\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port}"`));
      assert.match(r.stderr, password.includes('%') ? /not valid percent-encoding: write "%" as %25/ : /%2F/);
      assertHidden(r, password);
      assert.equal(proxy.received(), '', 'nothing may reach the proxy');
    });

    it(`invalid: join and doctor with HTTPS_PROXY holding the password ${JSON.stringify(password.slice(0, 5))}…: exit 2, masked`, async (t) => {
      const proxy = await listener(t);
      const withProxy = { ...env, HTTPS_PROXY: `http://edge:${password}@127.0.0.1:${proxy.port}` };
      for (const args of [joinArgs, ['doctor', '10.0.0.1:6443', '--timeout', '3s']]) {
        const r = await kubejoin(args, { env: withProxy });
        assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`the proxy "http://\\*\\*\\*@127\\.0\\.0\\.1:${proxy.port}" \\(HTTPS_PROXY\\)`));
        assert.ok(!/URIError|at .*\(file:/.test(r.stderr), `a stack trace: ${r.stderr}`);
        assertHidden(r, password);
      }
      assert.equal(proxy.received(), '', 'nothing may reach the proxy');
    });
  }
});
