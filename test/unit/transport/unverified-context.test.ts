import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { foreignCertificate } from '../../helpers/hostile-servers.js';

// The unverified discovery connection (docs/protocol.md §3.1) has a TLS context without any CA:
// not Node's default one, which parses the whole bundled root store (and NODE_EXTRA_CA_CERTS)
// on a cold join's first connection for a check that connection never makes. Observable: with
// the server's CA in NODE_EXTRA_CA_CERTS, a default context would call the peer authorized.

const good = foreignCertificate();
const dir = mkdtempSync(join(tmpdir(), 'kj-unverified-'));
const connectTs = fileURLToPath(new URL('../../../agent/transport/connect.ts', import.meta.url));
after(() => rmSync(dir, { recursive: true, force: true }));

function child(port: number, trust: string): Promise<string> {
  const extra = join(dir, 'extra-ca.pem');
  writeFileSync(extra, good.cert);
  const script = `import { connect } from ${JSON.stringify(connectTs)};
const s = await connect(${trust}, '127.0.0.1', ${port});
process.stdout.write(JSON.stringify({ authorized: s.authorized, error: String(s.authorizationError ?? '') }));
s.destroy();`;
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: extra }, timeout: 20_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

describe('the unverified discovery connection', () => {
  it('valid: connects without any CA in its context, so NODE_EXTRA_CA_CERTS does not verify the peer', async () => {
    const s = https.createServer(good, (_req, res) => res.end());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const port = (s.address() as AddressInfo).port;
      const unverified = JSON.parse(await child(port, "{ kind: 'unverified' }")) as { authorized: boolean; error: string };
      assert.equal(unverified.authorized, false, 'the unverified context must hold no CA');
      assert.match(unverified.error, /UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED|UNABLE_TO_VERIFY/);
      // The contrast: under the system trust the same process would accept the extra CA.
      const system = JSON.parse(await child(port, "{ kind: 'system' }")) as { authorized: boolean };
      assert.equal(system.authorized, true);
    } finally {
      s.close();
    }
  });
});
