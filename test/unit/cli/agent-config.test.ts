// `kubejoin agent --config <file>` and `--provisioning-file <path>`: what the files may hold, and
// what a bad one says (exit 2, naming the key; never the token).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadAgentConfig, parseAgentConfig, withConfig } from '../../../agent/cli/agent-config.js';
import { tokenFromProvisioningFile } from '../../../agent/cli/provisioning-token.js';
import { UsageError } from '../../../agent/errors.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { tempDir } from '../../helpers/temp.js';

const TOKEN = 'abcdef.0123456789abcdef';
const ctx = { stdin: process.stdin };

async function usage(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(run, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, message);
    return true;
  });
}

describe('agent --config', () => {
  it('valid: YAML keys become their flags, durations in ms', async () => {
    const file = await parseAgentConfig(
      [
        'onCaChange: systemctl try-restart kubelet',
        'caCheckInterval: 10m',
        'caRenewWindow: 1h',
        'tokenFile: /run/creds/join-token',
        'metricsTextfile: /var/lib/node-exporter/kubejoin.prom',
        'metricsListen: 127.0.0.1:9731',
        'kubeconfig: /etc/kubernetes/kubelet.conf',
        'proxy: http://proxy.example:3128',
        'expirationSeconds: 86400',
      ].join('\n'),
      'agent.yaml',
    );
    assert.deepEqual(file, {
      'on-ca-change': 'systemctl try-restart kubelet',
      'ca-check-interval': 600_000,
      'ca-renew-window': 3_600_000,
      'token-file': '/run/creds/join-token',
      'metrics-textfile': '/var/lib/node-exporter/kubejoin.prom',
      'metrics-listen': '127.0.0.1:9731',
      kubeconfig: '/etc/kubernetes/kubelet.conf',
      proxy: 'http://proxy.example:3128',
      'expiration-seconds': '86400',
    });
  });

  it("valid: JSON too; a flag given wins, --kubeconfig-out replaces the file's kubeconfig", async () => {
    const file = await parseAgentConfig('{"caCheckInterval": "30s", "kubeconfig": "/a.conf", "onCaChange": "true"}', 'agent.json');
    const merged = withConfig({ 'ca-check-interval': 5000, 'kubeconfig-out': '/b.conf', kubeconfig: undefined, 'on-ca-change': undefined }, file);
    assert.deepEqual(merged, { 'ca-check-interval': 5000, 'kubeconfig-out': '/b.conf', kubeconfig: undefined, 'on-ca-change': 'true' });
  });

  for (const [name, body, message] of [
    ['invalid: an unknown key', 'onCaChange: x\ncaCheckIntervall: 5m\n', /--config agent\.yaml:2: unknown key "caCheckIntervall" \(known: kubeconfig, /],
    ['invalid: a flag spelled as a flag', 'on-ca-change: x\n', /unknown key "on-ca-change"/],
    ['invalid: a bad duration', 'caCheckInterval: 5 minutes\n', /caCheckInterval "5 minutes" is not a duration/],
    ['invalid: a number where a duration string goes', 'caRenewWindow: 30\n', /caRenewWindow must be a string/],
    ['invalid: a list', '- a\n- b\n', /expected a mapping of keys/],
    ['invalid: a duplicate key', 'proxy: a\nproxy: b\n', /--config agent\.yaml:2: Map keys must be unique/],
  ] as const) {
    it(name, () => usage(() => parseAgentConfig(body, 'agent.yaml'), message));
  }

  it('the default file is read only if it exists; a --config that does not exist is exit 2', async () => {
    const dir = tempDir('kj-agent-config-');
    assert.deepEqual(await loadAgentConfig(undefined, join(dir, 'absent.yaml')), {});
    await writeFile(join(dir, 'agent.yaml'), 'caCheckInterval: 2m\n');
    assert.deepEqual(await loadAgentConfig(undefined, join(dir, 'agent.yaml')), { 'ca-check-interval': 120_000 });
    await usage(() => loadAgentConfig(join(dir, 'absent.yaml')), /cannot read --config .*absent\.yaml: no such file/);
  });
});

describe('kubejoin agent with a bad --config, or two token sources', () => {
  it('invalid: exit 2 before anything runs, naming the key or the flags', async () => {
    const dir = tempDir('kj-agent-config-');
    const bad = join(dir, 'agent.yaml');
    await writeFile(bad, 'onCaChange: x\nmetricsPort: 9\n');
    const r = await kubejoinInProcess(['agent', '--config', bad, '--kubeconfig', join(dir, 'none.conf')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /unknown key "metricsPort"/);
    assert.equal(r.stdout, '', 'the agent did not start');
    await writeFile(bad, `tokenFile: ${join(dir, 't')}\n`);
    const two = await kubejoinInProcess(['agent', '--config', bad, '--provisioning-file', join(dir, 'p.yaml'), '--kubeconfig', join(dir, 'none.conf')]);
    assert.equal(two.code, 2, two.stderr);
    assert.match(two.stderr, /--token-file .* and --provisioning-file .*: give one source of the bootstrap token/);
  });
});

describe('agent --provisioning-file', () => {
  it("valid: the token inline, or in tokenFile relative to the file; the kiosk's other keys are allowed", async () => {
    const dir = tempDir('kj-provision-');
    await writeFile(join(dir, 'inline.yaml'), `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes: [sha256:${'a'.repeat(64)}]\nretryDelaySeconds: 30\n`);
    assert.equal(await tokenFromProvisioningFile(join(dir, 'inline.yaml'), ctx), TOKEN);
    await mkdir(join(dir, 'secrets'));
    await writeFile(join(dir, 'secrets', 'token'), `${TOKEN}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'by-file.yaml'), 'endpoint: 10.0.0.1:6443\ntokenFile: secrets/token\n');
    assert.equal(await tokenFromProvisioningFile(join(dir, 'by-file.yaml'), ctx), TOKEN);
  });

  it('invalid: unknown key, both sources, none, unreadable: exit 2, the token never quoted', async () => {
    const dir = tempDir('kj-provision-');
    const cases: [string, RegExp][] = [
      [`token: ${TOKEN}\ntokn: x\n`, /p\.yaml:2: unknown key "tokn"/],
      [`token: ${TOKEN}\ntokenFile: t\n`, /give either token or tokenFile, not both/],
      ['endpoint: 10.0.0.1:6443\n', /token or tokenFile is missing/],
      ['tokenFile: missing\n', /cannot read --token-file .*missing: no such file/],
    ];
    for (const [body, message] of cases) {
      await writeFile(join(dir, 'p.yaml'), body);
      await assert.rejects(
        () => tokenFromProvisioningFile(join(dir, 'p.yaml'), ctx),
        (err: Error) => (assert.match(err.message, message), assert.doesNotMatch(err.message, /0123456789abcdef/), true),
      );
    }
  });
});
