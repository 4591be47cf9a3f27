// Unit tests of the control-plane harness pieces that need no cluster: PKI, token Secrets,
// the cluster-info kubeconfig text.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { clusterInfoKubeconfig } from '../../harness/kubeconfig.js';
import { APISERVER_SANS, caCertHash, generatePki, PKI_FILES, writePki, type Pki } from '../../harness/pki.js';
import { randomTokenPart, tokenSecret } from '../../harness/tokens.js';

let pki: Promise<Pki> | undefined;
const thePki = (): Promise<Pki> => (pki ??= generatePki());

test('the CA is an RSA 2048 CA and signs every leaf', async () => {
  const p = await thePki();
  const ca = new X509Certificate(p.caCert);
  assert.equal(ca.ca, true);
  assert.equal(ca.subject, 'CN=kubernetes');
  assert.equal(ca.publicKey.asymmetricKeyType, 'rsa');
  assert.equal(ca.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  for (const [cert, key] of [
    [p.apiserverCert, p.apiserverKey],
    [p.adminCert, p.adminKey],
    [p.kcmCert, p.kcmKey],
  ] as const) {
    const leaf = new X509Certificate(cert);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.ok(leaf.checkPrivateKey(createPrivateKey(key)));
    assert.match(key, /^-----BEGIN RSA PRIVATE KEY-----/);
  }
});

test('the apiserver certificate has the kubeadm SANs and serverAuth; clients have their identities', async () => {
  const p = await thePki();
  const api = new X509Certificate(p.apiserverCert);
  const sans = (api.subjectAltName ?? '').split(', ').sort();
  const want = [...APISERVER_SANS.dns.map((d) => `DNS:${d}`), ...APISERVER_SANS.ip.map((i) => `IP Address:${i}`)].sort();
  assert.deepEqual(sans, want);
  assert.deepEqual(api.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.ok(api.checkIP('127.0.0.1') && api.checkHost('kubernetes.default.svc'));

  const admin = new X509Certificate(p.adminCert);
  assert.match(admin.subject, /^CN=kubernetes-admin$/m);
  assert.match(admin.subject, /^O=system:masters$/m);
  assert.deepEqual(admin.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(new X509Certificate(p.kcmCert).subject, 'CN=system:kube-controller-manager');
  // The service-account key pair belongs together.
  assert.equal(
    createPublicKey(p.saKey).export({ type: 'spki', format: 'pem' }).toString(),
    createPublicKey(p.saPub).export({ type: 'spki', format: 'pem' }).toString(),
  );
});

test('key files are written 0600, certificates 0644', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubejoin-pki-'));
  try {
    await writePki(dir, await thePki());
    for (const [name, file] of Object.entries(PKI_FILES)) {
      const mode = statSync(join(dir, file)).mode & 0o777;
      assert.equal(mode, /Key$/.test(name) ? 0o600 : 0o644, `${file}: ${mode.toString(8)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('caCertHash is sha256 over the CA SubjectPublicKeyInfo (as the kubeadm docs compute it)', async (t) => {
  const p = await thePki();
  const hash = caCertHash(p.caCert);
  assert.match(hash, /^sha256:[0-9a-f]{64}$/);
  const spki = createPublicKey(p.caKey).export({ type: 'spki', format: 'der' });
  assert.equal(hash, `sha256:${createHash('sha256').update(spki).digest('hex')}`);
  if (spawnSync('openssl', ['version']).status !== 0) return t.skip('no openssl');
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: p.caCert });
  const der = execFileSync('openssl', ['rsa', '-pubin', '-outform', 'der'], { input: pub, stdio: ['pipe', 'pipe', 'ignore'] });
  assert.equal(hash, `sha256:${createHash('sha256').update(der).digest('hex')}`);
});

test('token Secrets look like kubeadm token create', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  const { token, id, secret } = tokenSecret({}, now);
  assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.equal(token.slice(0, 6), id);
  const s = secret as { metadata: { name: string; namespace: string }; type: string; data: Record<string, string> };
  assert.equal(s.metadata.name, `bootstrap-token-${id}`);
  assert.equal(s.metadata.namespace, 'kube-system');
  assert.equal(s.type, 'bootstrap.kubernetes.io/token');
  const data = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  assert.deepEqual(data, {
    'token-id': id,
    'token-secret': token.slice(7),
    expiration: '2026-01-03T03:04:05Z',
    'usage-bootstrap-signing': 'true',
    'usage-bootstrap-authentication': 'true',
    'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
  });

  const never = tokenSecret({ id: 'abcdef', secret: '0123456789abcdef', ttlSeconds: 0, groups: [], usages: ['signing'] });
  assert.equal(never.token, 'abcdef.0123456789abcdef');
  assert.deepEqual(Object.keys((never.secret as { data: object }).data).sort(), ['token-id', 'token-secret', 'usage-bootstrap-signing']);
  const raw = tokenSecret({ expiration: 'garbage', description: 'd' }).secret as { data: Record<string, string> };
  assert.equal(Buffer.from(raw.data.expiration ?? '', 'base64').toString(), 'garbage');
  assert.equal(Buffer.from(raw.data.description ?? '', 'base64').toString(), 'd');
});

test('random token parts use only [0-9a-z]', () => {
  const s = randomTokenPart(5000);
  assert.equal(s.length, 5000);
  assert.match(s, /^[0-9a-z]+$/);
  assert.equal(new Set(s).size, 36);
});

test('the cluster-info kubeconfig is what client-go v0.36 clientcmd.Write produces', () => {
  // Output of clientcmd.Write(Config{Clusters: {"": {Server, CertificateAuthorityData: "PEM\n"}}})
  // with k8s.io/client-go v0.36.3 (preferences is omitzero there, so it is absent).
  const want =
    'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: UEVNCg==\n    server: https://127.0.0.1:6443\n' +
    '  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\nusers: null\n';
  assert.equal(clusterInfoKubeconfig('https://127.0.0.1:6443', 'PEM\n'), want);
});
