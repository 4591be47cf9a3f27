import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterOf, renderKubeconfig } from '../../../agent/protocol/kubeconfig.js';
import { KubejoinError } from '../../../agent/errors.js';

// docs/protocol.md §3.7: the kubeconfigs the join path reads without a general YAML parser.

const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const ca64 = Buffer.from(caPem).toString('base64');

describe('clusterOf: the kubeconfig shapes kubeadm, client-go and kubejoin write', () => {
  it("kubeadm's cluster-info (one unnamed cluster, nulls spelled out)", () => {
    const text = `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ${ca64}\n    server: https://10.0.0.1:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\nusers: null\n`;
    assert.deepEqual(clusterOf(text, 'cluster-info'), { name: '', server: 'https://10.0.0.1:6443', caPem });
  });

  it("client-go's admin.conf: the current context's cluster, CRLF line ends, comments", () => {
    const text = [
      '# written by hand',
      'apiVersion: v1',
      'clusters:',
      '- cluster:',
      `    certificate-authority-data: ${ca64}`,
      '    server: https://a.example:6443',
      '  name: a',
      '- cluster:',
      `    certificate-authority-data: '${ca64}'`,
      '    server: "https://b.example:6443" # the load balancer',
      '  name: b',
      'contexts:',
      '- context: {cluster: b}',
      '  name: x',
    ];
    assert.throws(() => clusterOf(text.join('\n'), 'the discovery file'), /line 13: a YAML construct outside plain values/);
    text[12] = '- context:\n    cluster: b';
    const crlf = [...text, 'current-context: x', ''].join('\r\n');
    assert.deepEqual(clusterOf(crlf, 'the discovery file'), { name: 'b', server: 'https://b.example:6443', caPem });
  });

  it('JSON, as kubectl also accepts', () => {
    const text = JSON.stringify({ clusters: [{ name: 'j', cluster: { server: 'https://j:6443', 'certificate-authority-data': ca64 } }] });
    assert.deepEqual(clusterOf(text, 'x'), { name: 'j', server: 'https://j:6443', caPem });
  });

  it('what it does not read: exit 3 naming the line and the construct, never the text', () => {
    const secret = '0123456789abcdef';
    for (const [text, why] of [
      [`clusters: &a\n- cluster:\n    server: https://${secret}`, /line 1: a YAML construct outside plain values/],
      [`clusters:\n- cluster:\n    server: |\n      https://${secret}`, /line 3: a YAML construct outside plain values/],
      [`clusters:\n- cluster:\n    server: https://x\n     ${secret}`, /line 4: a multi-line value/],
      [`clusters: []\nclusters: ${secret}`, /line 2: a duplicate key/],
      [`clusters:\n\t- ${secret}`, /line 2: a tab/],
      [`a: "\\x41${secret}"`, /line 1: a double-quoted value with an escape outside JSON's/],
      [`---\na: 1\n---\nb: ${secret}`, /line 3: a document marker/],
    ] as const) {
      const err = (() => {
        try {
          clusterOf(text, 'cluster-info');
        } catch (e) {
          return e as KubejoinError;
        }
        assert.fail(`accepted: ${text}`);
      })();
      assert.ok(err instanceof KubejoinError && err.exitCode === 3, String(err));
      assert.match(err.message, /^cluster-info is not a valid kubeconfig: /);
      assert.match(err.message, why);
      assert.ok(!err.message.includes(secret) && !(err.hint ?? '').includes(secret));
    }
  });
});

describe('renderKubeconfig', () => {
  it('writes the layout it always wrote, quoting only what another reader could take otherwise', () => {
    const text = renderKubeconfig(
      { server: 'https://[::1]:6443', caPem },
      { kind: 'exec', command: '/usr/bin/kubejoin', args: ['credential', '--node-name', 'yes', 'on', '1e3', 'a b', 'x\u2028'] },
    );
    assert.equal(
      text,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '  - name: default-cluster',
        '    cluster:',
        `      certificate-authority-data: ${ca64}`,
        '      server: "https://[::1]:6443"',
        'contexts:',
        '  - name: default-context',
        '    context:',
        '      cluster: default-cluster',
        '      namespace: default',
        '      user: default-auth',
        'current-context: default-context',
        'preferences: {}',
        'users:',
        '  - name: default-auth',
        '    user:',
        '      exec:',
        '        apiVersion: client.authentication.k8s.io/v1',
        '        command: /usr/bin/kubejoin',
        '        args:',
        '          - credential',
        '          - --node-name',
        '          - "yes"',
        '          - "on"',
        '          - "1e3"',
        '          - "a b"',
        '          - "x\\u2028"',
        '        interactiveMode: Never',
        '        provideClusterInfo: false',
        '',
      ].join('\n'),
    );
  });
});
