// The kiosk's provisioning file: YAML or JSON; every problem named with its line; the
// token never in a problem.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadProvision, parseProvision, type ProvisionResult } from '../../../main/provision.js';
import { PIN, TOKEN, TOKEN_SECRET } from '../../helpers/fixtures.js';

const noTokenFile = async (): Promise<string> => {
  throw Object.assign(new Error('nope'), { code: 'ENOENT' });
};

function problems(r: ProvisionResult): string[] {
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}

describe('provisioning file', () => {
  it('valid: YAML with every field', async () => {
    const r = await parseProvision(
      `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes:\n  - ${PIN}\nnodeName: kiosk-12\nstore: file\nretryDelaySeconds: 10\n`,
      '/p.yaml',
      noTokenFile,
    );
    assert.deepEqual(r, {
      ok: true,
      provision: { request: { endpoint: '10.0.0.1:6443', token: TOKEN, caCertHashes: [PIN], nodeName: 'kiosk-12', store: 'file' }, retryDelaySeconds: 10 },
    });
  });

  it('valid: JSON with a token file and a single pin string', async () => {
    const r = await parseProvision(JSON.stringify({ endpoint: '[fd00::1]:6443', tokenFile: 'token', caCertHashes: PIN }), '/p.json', async (p) => {
      assert.equal(p, 'token');
      return TOKEN;
    });
    assert.equal(r.ok, true);
    assert.deepEqual(r.ok && r.provision.request, { endpoint: '[fd00::1]:6443', token: TOKEN, caCertHashes: [PIN] });
    assert.equal(r.ok && r.provision.retryDelaySeconds, 30);
  });

  const bad: [string, string, RegExp[]][] = [
    ['invalid: not a mapping', '- a\n- b\n', [/expected a mapping/]],
    ['invalid: YAML syntax', 'endpoint: [oops\n', [/^\/p\.yaml:\d+: /]],
    [
      'invalid: unknown key, with its line',
      `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes: [${PIN}]\ntokn: x\n`,
      [/^\/p\.yaml:4: unknown key "tokn"/],
    ],
    ['invalid: missing everything', 'nodeName: x\n', [/endpoint is missing/, /token or tokenFile is missing/, /caCertHashes is missing/]],
    [
      'invalid: malformed token (not echoed)',
      `endpoint: 10.0.0.1:6443\ntoken: ABCDEF.0123456789abcdef\ncaCertHashes: [${PIN}]\n`,
      [/^\/p\.yaml:2: the token is malformed/],
    ],
    [
      'invalid: wrong CA hash, with its line',
      `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes:\n  - sha256:abcd\n`,
      [/^\/p\.yaml:3: invalid CA cert hash "sha256:abcd": the hash has 2 bytes/],
    ],
    ['invalid: endpoint with a scheme', `endpoint: https://10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes: [${PIN}]\n`, [/^\/p\.yaml:1: .*without a scheme/]],
    ['invalid: both token and tokenFile', `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ntokenFile: /t\ncaCertHashes: [${PIN}]\n`, [/either token or tokenFile/]],
    [
      'invalid: unreadable token file',
      `endpoint: 10.0.0.1:6443\ntokenFile: /t\ncaCertHashes: [${PIN}]\n`,
      [/^\/p\.yaml:2: tokenFile "\/t": cannot read it \(ENOENT\)/],
    ],
    [
      'invalid: unknown store',
      `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes: [${PIN}]\nstore: cloud\n`,
      [/store "cloud" is not supported: use auto, keychain or file/],
    ],
    [
      'invalid: bad node name',
      `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes: [${PIN}]\nnodeName: Kiosk_1\n`,
      [/^\/p\.yaml:4: the node name "Kiosk_1" is not a valid DNS-1123/],
    ],
    ['invalid: retry delay', `endpoint: 10.0.0.1:6443\ntoken: ${TOKEN}\ncaCertHashes: [${PIN}]\nretryDelaySeconds: 0\n`, [/retryDelaySeconds must be/]],
    ['invalid: duplicate key', `endpoint: a:1\nendpoint: b:2\ntoken: ${TOKEN}\ncaCertHashes: [${PIN}]\n`, [/^\/p\.yaml:2: /]],
    ['invalid: a token quoted by a syntax error', `endpoint: 10.0.0.1:6443\ntoken: "${TOKEN}\ncaCertHashes: [${PIN}]\n`, [/^\/p\.yaml:\d+: /]],
  ];
  for (const [name, text, expected] of bad) {
    it(name, async () => {
      const list = problems(await parseProvision(text, '/p.yaml', noTokenFile));
      for (const re of expected)
        assert.ok(
          list.some((p) => re.test(p)),
          `${re} in ${JSON.stringify(list)}`,
        );
      assert.ok(!list.join('\n').includes(TOKEN_SECRET), `the token secret is not in ${JSON.stringify(list)}`);
    });
  }

  it('reads a token file relative to the provisioning file; a missing file is "missing"', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kj-prov-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'provision.yaml'), `endpoint: 10.0.0.1:6443\ntokenFile: token\ncaCertHashes: [${PIN}]\n`, { mode: 0o640 });
    const r = await loadProvision(join(dir, 'provision.yaml'));
    assert.equal(r.ok && r.provision.request.token, TOKEN);
    const missing = await loadProvision(join(dir, 'nope.yaml'));
    assert.deepEqual(missing, { ok: false, missing: true, problems: [`no provisioning file at ${join(dir, 'nope.yaml')}`] });
  });
});
