import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { ensureBuilt, kubejoin, tokenJoinArgs } from '../helpers/cli.js';
import { filesUnder } from '../helpers/temp.js';
import { certSpki, keySpki } from './fault-helpers.js';
import { joinMachine, lc, whoami, type Joined } from './lifecycle-helpers.js';

// docs/stores.md §1, §7: after a rotation kubelet-client-current.pem is a symlink to
// kubelet-client-<time>.pem (the kubelet's layout). A join on the same cert dir reads through
// it (already joined), `join --force` replaces the link, and a link that leads out of the
// cert dir is refused in words (exit 7), against the real control plane.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const CURRENT = 'kubelet-client-current.pem';

function joinArgsOf(m: Joined, extra: string[] = []): string[] {
  return [...tokenJoinArgs(cluster, join(m.dir, 'token'), m.node), '--store', 'file', '--cert-dir', m.certDir, '--kubeconfig-out', m.kubeconfig, ...extra];
}

async function rotated(m: Joined): Promise<string> {
  const r = await lc(m, ['renew', '--force']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const current = join(m.certDir, CURRENT);
  assert.ok((await lstat(current)).isSymbolicLink(), 'the rotation left the kubelet layout: a symlink');
  return resolve(m.certDir, await readlink(current));
}

describe('file store: kubelet-client-current.pem as the kubelet lays it out', () => {
  it('valid: join, renew --force, join again: already joined (exit 0); join --force: joined, kubectl works', async (t) => {
    const m = await joinMachine(t, cluster, 'file', undefined, 'link');
    const target = await rotated(m);
    const rotatedPem = await readFile(target, 'utf8');

    const again = await kubejoin(joinArgsOf(m), { env: m.env });
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, new RegExp(`Already joined as system:node:${m.node}`));
    assert.equal(await readFile(target, 'utf8'), rotatedPem, 'nothing changed');
    assert.equal(resolve(m.certDir, await readlink(join(m.certDir, CURRENT))), target);

    const forced = await kubejoin(joinArgsOf(m, ['--force']), { env: m.env });
    assert.equal(forced.code, 0, `${forced.stdout}\n${forced.stderr}`);
    assert.match(forced.stdout, new RegExp(`Joined as system:node:${m.node}`));
    const current = join(m.certDir, CURRENT);
    assert.ok((await lstat(current)).isFile(), 'the link was replaced by the new credential, not written through');
    assert.equal(await readFile(target, 'utf8'), rotatedPem, 'the rotated file the link pointed at is untouched');
    const pem = await readFile(current, 'utf8');
    assert.equal(certSpki(pem), keySpki(pem));
    assert.notEqual(keySpki(pem), keySpki(rotatedPem), 'a new key');
    const who = await whoami(m);
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.username, `system:node:${m.node}`);
    assert.ok(!(await filesUnder(m.dir)).some((f) => f.includes('.kubejoin-tmp.') || f.endsWith('.key.tmp')), 'no temporary, no pending key');

    // status and renew read it the same way, before and after.
    const status = await lc(m, ['status']);
    assert.equal(status.code, 0, status.stderr);
  });

  it('invalid: a current pem that links out of the cert dir, or to a link, is refused (exit 7) in words; nothing changed', async (t) => {
    const m = await joinMachine(t, cluster, 'file', undefined, 'outlink');
    const target = await rotated(m);
    const current = join(m.certDir, CURRENT);
    const outside = join(m.dir, 'elsewhere.pem');
    await writeFile(outside, await readFile(target, 'utf8'), { mode: 0o600 });
    await rm(current);
    await symlink(outside, current);

    const r = await kubejoin(joinArgsOf(m), { env: m.env });
    assert.equal(r.code, 7, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${current.replace(/[.]/g, '\\.')} is a symbolic link to ${outside.replace(/[.]/g, '\\.')}, outside its directory`));
    assert.match(r.stderr, /kubejoin reads the credential only from a regular file in/);
    assert.equal(await readlink(current), outside, 'the link is left as it was');
    assert.ok(!(await filesUnder(m.certDir)).includes('kubelet-client.key.tmp'), 'no key made, no CSR sent');

    const renew = await lc(m, ['renew', '--force']);
    assert.equal(renew.code, 7, 'renew reads it the same way');
    assert.match(renew.stderr, /outside its directory/);

    // A link to a link inside the directory is refused too.
    await rm(current);
    await symlink(join(m.certDir, 'second-link.pem'), current);
    await symlink(target, join(m.certDir, 'second-link.pem'));
    const viaLink = await kubejoin(joinArgsOf(m), { env: m.env });
    assert.equal(viaLink.code, 7, `${viaLink.stdout}\n${viaLink.stderr}`);
    assert.match(viaLink.stderr, /second-link\.pem, which is a symbolic link/);
  });
});
