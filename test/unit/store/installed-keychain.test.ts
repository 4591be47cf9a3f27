// The keychain store's rotation commit, on the real Secret Service (gnome-keyring from
// run-tests.sh): key and certificate are two entries, so a reader must recover from a kill
// between their writes, the exec plugin (`kubejoin credential`) included.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../agent/cli/main.js';
import { InstalledKeychain, entryAccount, loadKeychainPair } from '../../../agent/store/installed-keychain.js';
import { loadKeytar, probeKeychain, type Keytar } from '../../../agent/store/keychain.js';
import { nodeCredential } from '../lifecycle/node-cert.js';

const SERVER = 'https://10.0.0.1:6443';
const NODE = 'kc-unit';
const SERVICE = `kubejoin-unit-${process.pid}`;
const day = 86_400_000;
let problem: string | undefined;
let keytar: Keytar;

before(async () => {
  problem = await probeKeychain(process.env);
  if (!problem) keytar = await loadKeytar();
});
after(async () => {
  if (problem) return;
  for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
});

const set = (entry: Parameters<typeof entryAccount>[2], value: string): Promise<void> => keytar.setPassword(SERVICE, entryAccount(NODE, SERVER, entry), value);

async function credentialPlugin(): Promise<{ code: number; certPem?: string; keyPem?: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  const code = await runCli(['credential', '--server', SERVER, '--node-name', NODE], { stdout: out, stderr: err, stdin: new PassThrough(), env: { ...process.env, KUBEJOIN_KEYCHAIN_SERVICE: SERVICE }, signal: new AbortController().signal });
  if (code !== 0) return { code, err: e };
  const status = (JSON.parse(o) as { status: { clientCertificateData: string; clientKeyData: string } }).status;
  return { code, certPem: status.clientCertificateData, keyPem: status.clientKeyData, err: e };
}

describe('keychain rotation commit (real Secret Service)', () => {
  it('each kill point of replace() leaves a readable, matching pair', async (t) => {
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem}); npm test runs inside dbus-run-session with gnome-keyring`);
    const old = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    const next = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    const store = new InstalledKeychain('/nonexistent/k.conf', { server: SERVER, caPem: '' }, NODE, SERVER, { KUBEJOIN_KEYCHAIN_SERVICE: SERVICE });
    await set('key', old.keyPem);
    await set('cert', old.certPem);

    // Killed after the rotation key (before the CSR or while it waits): the old pair.
    await set('rotation-key', next.keyPem);
    assert.equal((await store.load())?.certPem, old.certPem);
    assert.equal(await store.loadUncommitted(), undefined);

    // Killed after rotation-cert (verified, not committed): the old pair, and the rotation is finishable.
    await set('rotation-cert', next.certPem);
    assert.equal((await store.load())?.certPem, old.certPem);
    assert.equal((await store.loadUncommitted())?.certPem, next.certPem);

    // Killed between writing `key` and `cert`: they do not match; the rotation pair is used.
    await set('key', next.keyPem);
    const mid = await loadKeychainPair(SERVICE, NODE, SERVER);
    assert.deepEqual(mid, { certPem: next.certPem, keyPem: next.keyPem });
    const plugin = await credentialPlugin();
    assert.equal(plugin.code, 0, plugin.err);
    assert.equal(plugin.certPem, next.certPem, 'kubectl gets the matching new pair');
    assert.equal(plugin.keyPem, next.keyPem);

    // The whole commit: the new pair, no rotation entries left.
    await store.replace(next.certPem, next.keyPem);
    assert.deepEqual(await store.load(), { certPem: next.certPem, keyPem: next.keyPem });
    assert.deepEqual((await keytar.findCredentials(SERVICE)).map((c) => c.account).sort(), [entryAccount(NODE, SERVER, 'cert'), entryAccount(NODE, SERVER, 'key')]);
  });

  it('a key and certificate that do not match, with nothing to recover from: exit 7 with what to do', async (t) => {
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem})`);
    const a = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    const b = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    await set('key', a.keyPem);
    await set('cert', b.certPem);
    const plugin = await credentialPlugin();
    assert.equal(plugin.code, 7);
    assert.match(plugin.err, /do not form a usable credential \(the key and the certificate do not match\)/);
    assert.match(plugin.err, /kubejoin reset/);
    assert.doesNotMatch(plugin.err, /PRIVATE KEY/);
  });
});
