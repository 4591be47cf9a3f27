// The keychain store's rotation commit, on the real Secret Service (gnome-keyring from
// run-tests.sh): the pair is one entry, written in one call; a rotation's own entries let an
// interrupted one be finished; a reader (the exec plugin `kubejoin credential` included) also
// recovers from the separate key/cert entries of older versions killed between their writes.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../agent/cli/main.js';
import { KeychainStore, loadKeychainPair } from '../../../agent/store/keychain.js';
import { keychainAccount, probeKeychain, type Entry } from '../../../agent/store/keychain.js';
import { runKeytar } from '../../../agent/store/keytar-child.js';
import { nodeCredential } from '../lifecycle/node-cert.js';

const SERVER = 'https://10.0.0.1:6443';
const NODE = 'kc-unit';
const SERVICE = `kubejoin-unit-${process.pid}`;
const day = 86_400_000;
const ENV = { ...process.env, KUBEJOIN_KEYCHAIN_SERVICE: SERVICE };
let problem: string | undefined;

async function accounts(): Promise<string[]> {
  const [found] = await runKeytar([{ op: 'find', service: SERVICE }], { env: ENV });
  return Array.isArray(found) ? found.sort() : [];
}
before(async () => {
  problem = await probeKeychain(process.env);
});
after(async () => {
  if (problem) return;
  await runKeytar(
    (await accounts()).map((account) => ({ op: 'delete' as const, service: SERVICE, account })),
    { env: ENV },
  );
});

const set = async (entry: Entry, value: string): Promise<void> => {
  await runKeytar([{ op: 'set', service: SERVICE, account: keychainAccount(NODE, SERVER, entry), password: value }], { env: ENV });
};
const remove = async (...entries: Entry[]): Promise<void> => {
  await runKeytar(
    entries.map((e) => ({ op: 'delete' as const, service: SERVICE, account: keychainAccount(NODE, SERVER, e) })),
    { env: ENV },
  );
};
const pairEntry = (p: { certPem: string; keyPem: string }): string => `${p.certPem.trim()}\n${p.keyPem.trim()}\n`;
/** PEM text as the store returns it: each block ends with a newline. */
const pem = (text: string | undefined): string | undefined => (text === undefined ? undefined : `${text.trim()}\n`);

async function credentialPlugin(): Promise<{ code: number; certPem?: string; keyPem?: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => (o += d.toString()));
  err.on('data', (d: Buffer) => (e += d.toString()));
  const code = await runCli(['credential', '--server', SERVER, '--node-name', NODE], {
    stdout: out,
    stderr: err,
    stdin: new PassThrough(),
    env: { ...process.env, KUBEJOIN_KEYCHAIN_SERVICE: SERVICE },
    signal: new AbortController().signal,
  });
  if (code !== 0) return { code, err: e };
  const status = (JSON.parse(o) as { status: { clientCertificateData: string; clientKeyData: string } }).status;
  return { code, certPem: status.clientCertificateData, keyPem: status.clientKeyData, err: e };
}

describe('keychain rotation commit (real Secret Service)', () => {
  it('each kill point of replace() leaves a readable, matching pair', async (t) => {
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem}); npm test runs inside dbus-run-session with gnome-keyring`);
    const old = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    const next = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    const store = new KeychainStore({ nodeName: NODE, server: SERVER, env: ENV, kubeconfigPath: '/nonexistent/k.conf' }, 'test', { server: SERVER, caPem: '' });
    await set('credential', pairEntry(old));

    // Killed after the rotation key (before the CSR or while it waits): the old pair.
    await set('rotation-key', next.keyPem);
    assert.equal((await store.load())?.certPem, pem(old.certPem));
    assert.equal(await store.loadUncommitted(), undefined);

    // Killed after rotation-cert (verified, not committed): the old pair, and the rotation is finishable.
    await set('rotation-cert', next.certPem);
    assert.equal((await store.load())?.certPem, pem(old.certPem));
    assert.equal(pem((await store.loadUncommitted())?.certPem), pem(next.certPem));

    // An older version's separate entries, killed between writing `key` and `cert`: they do
    // not match; the rotation pair is used.
    await remove('credential');
    await set('key', next.keyPem);
    await set('cert', old.certPem);
    const mid = await loadKeychainPair(ENV, NODE, SERVER);
    assert.deepEqual(mid && { certPem: pem(mid.certPem), keyPem: pem(mid.keyPem) }, { certPem: pem(next.certPem), keyPem: pem(next.keyPem) });
    const plugin = await credentialPlugin();
    assert.equal(plugin.code, 0, plugin.err);
    assert.equal(pem(plugin.certPem), pem(next.certPem), 'kubectl gets the matching new pair');
    assert.equal(pem(plugin.keyPem), pem(next.keyPem));

    // The whole commit: the new pair in the one entry, no rotation or older entries left.
    await store.replace(next.certPem, next.keyPem);
    assert.deepEqual(await store.load(), { certPem: pem(next.certPem), keyPem: pem(next.keyPem) });
    assert.deepEqual(await accounts(), [keychainAccount(NODE, SERVER, 'credential')]);
  });

  it('a key and certificate that do not match, with nothing to recover from: exit 7 with what to do', async (t) => {
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem})`);
    const a = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    const b = await nodeCredential(NODE, new Date(Date.now() - day), new Date(Date.now() + day));
    await remove('credential', 'rotation-key', 'rotation-cert');
    await set('key', a.keyPem);
    await set('cert', b.certPem);
    const plugin = await credentialPlugin();
    assert.equal(plugin.code, 7);
    assert.match(plugin.err, /do not form a usable credential \(the key and the certificate do not match\)/);
    assert.match(plugin.err, /kubejoin reset/);
    assert.doesNotMatch(plugin.err, /PRIVATE KEY/);
  });
});
