import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJoinCommand, shellWords } from '../../../agent/cli/command-line.js';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { assertNoSecret, ensureBuilt, fileStoreFlags, kubejoin, uniqueName } from '../../helpers/cli.js';
import { filesUnder, workdir } from '../../helpers/temp.js';

// Lines in the forms kubeadm prints (`kubeadm init`'s closing lines, `kubeadm token create
// --print-join-command`), pasted after "kubejoin " in a shell, joined by the built CLI against
// the real control plane; and the window's parser reading the same lines the same way.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

/** The words a shell gives kubejoin for `kubejoin <line>`. */
const pasted = (line: string): string[] => shellWords(line);

describe('pasted kubeadm lines work in the CLI as in the window', () => {
  const forms: [string, (token: string) => string][] = [
    // kubeadm init's closing lines: a backslash continuation and a tab.
    ['kubeadm init', (token) => `kubeadm join ${cluster.endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${cluster.caCertHash} `],
    // kubeadm token create --print-join-command, run with sudo and kubeadm-only flags added.
    [
      'sudo, --cri-socket, --v=5, --ignore-preflight-errors',
      (token) =>
        `sudo kubeadm join ${cluster.endpoint} --token ${token} --discovery-token-ca-cert-hash ${cluster.caCertHash} --cri-socket unix:///run/containerd/containerd.sock --v=5 --ignore-preflight-errors=all`,
    ],
  ];
  for (const [name, line] of forms) {
    it(`valid: ${name}: joins, with a one-line notice per kubeadm-only flag`, async (t) => {
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const words = pasted(line(token));
      const window = parseJoinCommand(line(token));
      assert.ok(window.ok, JSON.stringify(window));
      const r = await kubejoin([...words, '--node-name', uniqueName('paste'), ...fileStoreFlags(dir)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Joined as system:node:paste/);
      assert.match(r.stdout, /\[store-credentials\] done in .*: file store: written, and put in place once the cluster accepts it \(next step\)/);
      const notices = r.stderr.split('\n').filter((l) => l.startsWith('notice: '));
      assert.deepEqual(notices, window.warnings, 'the CLI and the window say the same');
      if (words.includes('--v=5')) {
        assert.deepEqual(notices, [
          "notice: ignoring kubeadm's --cri-socket: it does not apply to a node credential",
          "notice: ignoring kubeadm's --v: it does not apply to a node credential",
          "notice: ignoring kubeadm's --ignore-preflight-errors: it does not apply to a node credential",
        ]);
      }
      assert.equal(window.request.endpoint, cluster.endpoint);
      assert.deepEqual(window.request.caCertHashes, [cluster.caCertHash]);
      assertNoSecret(r, token);
    });
  }

  it('invalid: a control-plane join line is refused by both, saying why (exit 2, nothing written)', async (t) => {
    const dir = await workdir(t);
    const line = `kubeadm join ${cluster.endpoint} --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${cluster.caCertHash} --control-plane --certificate-key 0123abcd`;
    const r = await kubejoin([...pasted(line), ...fileStoreFlags(dir)]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error: --control-plane is for a control-plane join: kubejoin joins nodes \(a kubelet credential\), not control planes/);
    const window = parseJoinCommand(line);
    assert.ok(!window.ok);
    assert.match(window.error, /--control-plane is for a control-plane join/);
    assert.deepEqual(await filesUnder(dir), []);
  });

  it('valid: -o=json and --output=json are read as kubectl reads them', async (t) => {
    const dir = await workdir(t);
    for (const flag of [['-o=json'], ['--output=json']]) {
      const r = await kubejoin([
        'join',
        '127.0.0.1:1',
        '--token',
        'abcdef.0123456789abcdef',
        '--discovery-token-ca-cert-hash',
        'sha256:12',
        ...flag,
        ...fileStoreFlags(dir),
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.doesNotMatch(r.stderr, /is not supported/);
      assert.equal((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string }).type, 'result');
    }
  });
});
