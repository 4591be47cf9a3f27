import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { CLI, ensureBuilt, uniqueName, tokenJoinArgs, writeTokenFile, runProcess } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';
import { csrsOfToken } from './fault-helpers.js';

// docs/stores.md §5: full, read-only and forbidden disks, made for real. Mounts happen in a
// private mount namespace (unshare -m) that ends with the script, so nothing leaks; the
// script leaves what the test inspects (exit codes, output, file lists, checksums) in the
// test's own work directory, outside the mount.

let cluster: ClusterHandle;
const isRoot = process.getuid?.() === 0;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface Scenario {
  dir: string;
  token: string;
  tokenPath: string;
}

async function scenario(t: TestContext): Promise<Scenario> {
  const dir = await workdir(t);
  const token = await cluster.signedToken();
  return { dir, token, tokenPath: await writeTokenFile(dir, token) };
}

/** The join command line as shell words. */
function joinCmd(s: Scenario, node: string, certDir: string, kubeconfig: string): string {
  const args = [...tokenJoinArgs(cluster, s.tokenPath, node), '--store', 'file', '--cert-dir', certDir, '--kubeconfig-out', kubeconfig];
  return [process.execPath, CLI, ...args].map(q).join(' ');
}

/** Runs a bash script in its own mount namespace; returns files the script wrote to `dir`. */
async function inMountNamespace(s: Scenario, script: string): Promise<Record<string, string>> {
  const r = await runProcess('unshare', ['-m', '--propagation', 'private', 'bash', '-euc', script], { env: { ...process.env, NO_COLOR: '1', D: s.dir } });
  assert.equal(r.code, 0, `scenario script failed: ${r.stdout}${r.stderr}`);
  const out: Record<string, string> = {};
  for (const name of ['code', 'out', 'err', 'files', 'before', 'after', 'code2', 'out2']) out[name] = await readFile(join(s.dir, name), 'utf8').catch(() => '');
  return out;
}

const listFiles = (root: string, to: string): string => `(cd ${root} && find . -type f -printf '%P\\n' | sort) > "$D/${to}"`;

describe(
  "disk faults (real tmpfs, read-only remount, another user's directory)",
  { skip: isRoot ? false : 'needs root for mount namespaces and setpriv' },
  () => {
    it('full disk: exit 7 naming the path and "no space left"; previous credential intact; nothing temporary left; no new CSR', async (t) => {
      const s = await scenario(t);
      const mnt = join(s.dir, 'mnt');
      await mkdir(mnt);
      const r = await inMountNamespace(
        s,
        `
      mount -t tmpfs -o size=64k tmpfs ${q(mnt)}
      ${joinCmd(s, uniqueName('first'), `${mnt}/pki`, `${mnt}/kubelet.conf`)} >/dev/null
      sha256sum ${q(mnt)}/pki/kubelet-client-current.pem ${q(mnt)}/kubelet.conf > "$D/before"
      dd if=/dev/zero of=${q(mnt)}/filler bs=1k 2>/dev/null || true
      set +e; ${joinCmd(s, uniqueName('second'), `${mnt}/pki`, `${mnt}/kubelet.conf`)} > "$D/out" 2> "$D/err"; echo $? > "$D/code"; set -e
      sha256sum ${q(mnt)}/pki/kubelet-client-current.pem ${q(mnt)}/kubelet.conf > "$D/after"
      ${listFiles(mnt, 'files')}
    `,
      );
      assert.equal(r.code!.trim(), '7', r.err);
      assert.match(r.err!, new RegExp(`cannot write ${mnt}/pki/kubelet-client\\.key\\.tmp: no space left on the device \\(ENOSPC\\)`));
      assert.match(r.err!, /Free some space/);
      assert.equal(r.after, r.before, 'the previous credential and kubeconfig are unchanged');
      assert.deepEqual(r.files!.trim().split('\n'), ['filler', 'kubelet.conf', 'pki/kubelet-client-current.pem'], 'no temporary, no pending key');
      assert.equal((await csrsOfToken(cluster, s.token)).length, 1, 'only the first join made a CSR');
    });

    it('full disk at the kubeconfig: exit 7; the pending key is kept and a re-run with space reuses the same, issued CSR', async (t) => {
      const s = await scenario(t);
      const pki = join(s.dir, 'pki');
      const mnt = join(s.dir, 'mnt');
      await mkdir(mnt);
      const node = uniqueName('kept');
      const r = await inMountNamespace(
        s,
        `
      mount -t tmpfs -o size=64k tmpfs ${q(mnt)}
      dd if=/dev/zero of=${q(mnt)}/filler bs=1k 2>/dev/null || true
      set +e; ${joinCmd(s, node, pki, `${mnt}/conf/kubelet.conf`)} > "$D/out" 2> "$D/err"; echo $? > "$D/code"; set -e
      ${listFiles(mnt, 'before')}
      ${listFiles(pki, 'files')}
      rm ${q(mnt)}/filler
      set +e; ${joinCmd(s, node, pki, `${mnt}/conf/kubelet.conf`)} > "$D/out2" 2>&1; echo $? > "$D/code2"; set -e
      ${listFiles(mnt, 'after')}
    `,
      );
      assert.equal(r.code!.trim(), '7', r.err);
      assert.match(r.err!, /cannot (write|create) .*mnt\/conf.*: no space left on the device \(ENOSPC\)/);
      assert.match(r.err!, /in phase store-credentials/);
      assert.equal(r.before!.trim(), 'filler', 'nothing temporary on the full disk');
      assert.equal(r.files!.trim(), 'kubelet-client.key.tmp', 'the pending key is kept, the staged credential removed');
      assert.equal(r.code2!.trim(), '0', r.out2);
      assert.match(r.out2!, /reusing the key of an earlier, unfinished join/);
      assert.equal(r.after!.trim(), 'conf/kubelet.conf');
      assert.equal((await csrsOfToken(cluster, s.token)).length, 1, 'one CSR, reused by the re-run');
    });

    it('read-only file system: exit 7 naming the path and "read-only"; previous credential intact; no new CSR', async (t) => {
      const s = await scenario(t);
      const mnt = join(s.dir, 'mnt');
      await mkdir(mnt);
      const r = await inMountNamespace(
        s,
        `
      mount -t tmpfs -o size=1m tmpfs ${q(mnt)}
      ${joinCmd(s, uniqueName('first'), `${mnt}/pki`, `${mnt}/kubelet.conf`)} >/dev/null
      sha256sum ${q(mnt)}/pki/kubelet-client-current.pem ${q(mnt)}/kubelet.conf > "$D/before"
      mount -o remount,ro ${q(mnt)}
      set +e; ${joinCmd(s, uniqueName('second'), `${mnt}/pki`, `${mnt}/kubelet.conf`)} > "$D/out" 2> "$D/err"; echo $? > "$D/code"; set -e
      sha256sum ${q(mnt)}/pki/kubelet-client-current.pem ${q(mnt)}/kubelet.conf > "$D/after"
      ${listFiles(mnt, 'files')}
    `,
      );
      assert.equal(r.code!.trim(), '7', r.err);
      assert.match(r.err!, new RegExp(`cannot write ${mnt}/pki/kubelet-client\\.key\\.tmp: the file system is read-only \\(EROFS\\)`));
      assert.match(r.err!, /Remount the file system read-write/);
      assert.equal(r.after, r.before);
      assert.deepEqual(r.files!.trim().split('\n'), ['kubelet.conf', 'pki/kubelet-client-current.pem']);
      assert.equal((await csrsOfToken(cluster, s.token)).length, 1, 'only the first join made a CSR');
    });

    it('another user\'s directory: exit 7 naming the path and "permission denied"; nothing written; no CSR', async (t) => {
      const s = await scenario(t);
      const home = join(s.dir, 'home');
      await mkdir(home);
      await chown(home, 65534, 65534);
      await chown(s.tokenPath, 65534, 65534);
      await chmod(s.dir, 0o755);
      const rootOwned = join(s.dir, 'root-owned');
      await mkdir(rootOwned, { mode: 0o755 });
      await writeFile(join(rootOwned, 'README'), 'root owns this directory\n', { mode: 0o644 });
      const cmd = joinCmd(s, uniqueName('nobody'), rootOwned, join(home, 'kubelet.conf'));
      const r = await runProcess('bash', ['-c', `setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=${q(home)} ${cmd}`], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      assert.equal(r.code, 7, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`cannot write ${rootOwned}/kubelet-client\\.key\\.tmp: permission denied \\(EACCES\\)`));
      assert.match(r.stderr, /Run as root, or choose writable paths/);
      assert.deepEqual(await readdir(rootOwned), ['README'], 'nothing written there');
      assert.deepEqual(await readdir(home), [], 'no kubeconfig either');
      assert.equal((await csrsOfToken(cluster, s.token)).length, 0);
    });
  },
);
