// A control plane whose CA is rotated by kubeadm's manual procedure
// (https://kubernetes.io/docs/tasks/tls/manual-rotation-of-ca-certificates/), for
// lifecycle-ca-rotation.test.ts. The harness starts etcd, the apiserver and the
// controller-manager; this takes the last two over (the harness's restart probes the
// apiserver with the old CA only, which step (b) ends) and restarts them itself, for real,
// with the flags and files of each step: the same command lines as the harness's
// (components.ts), later flags winning.
import { spawn, type ChildProcess } from 'node:child_process';
import { webcrypto, randomBytes, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { ensureControlPlaneBinaries, type ClusterHandle } from '../harness/index.js';
import { apiserverArgs, controllerManagerArgs } from '../harness/components.js';
import { clientKubeconfig } from '../harness/kubeconfig.js';
import { x509 } from '../harness/x509.js';
import { issueClientCert, type TestCa } from '../helpers/certs.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const serial = (): string => `01${randomBytes(15).toString('hex')}`;

export async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

/** A client certificate and key issued by `ca` (admin, controller-manager). */
export async function clientPair(ca: TestCa, subject: string): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = await keyPem(keys.privateKey);
  return { certPem: await issueClientCert(ca, createPublicKey(pkcs8), subject), keyPem: pkcs8 };
}

/** An apiserver serving certificate for 127.0.0.1, issued by `ca`. */
export async function servingPair(ca: TestCa): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kube-apiserver',
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 24 * 3_600_000),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/**
 * The new CA, as kubeadm's procedure makes it: generated now, so it started after the
 * cluster's (whose notBefore is its start minus 5 min).
 */
export async function newCa(): Promise<TestCa & { keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=kubernetes-next',
    notBefore: new Date(Date.now() - 1000),
    notAfter: new Date(Date.now() + 365 * 24 * 3_600_000),
    signingAlgorithm: EC,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return { cert, keys, pem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

export class RotatingPlane {
  private apiserver: ChildProcess | undefined;
  private kcm: ChildProcess | undefined;
  /** The CA bundle admin tools trust (the test's admin kubeconfig). */
  trust: string;
  readonly dir: string;
  readonly adminKubeconfig: string;

  constructor(
    private readonly c: ClusterHandle,
    private readonly binDir: string,
    private readonly ports: { etcdClient: number; etcdPeer: number; apiserver: number },
  ) {
    this.trust = c.caPem;
    this.dir = join(c.stateDir, 'rotation');
    this.adminKubeconfig = join(this.dir, 'admin.conf');
  }

  static async takeOver(c: ClusterHandle): Promise<RotatingPlane> {
    const bins = await ensureControlPlaneBinaries();
    const state = JSON.parse(await readFile(join(c.stateDir, 'cluster.json'), 'utf8')) as { ports: RotatingPlane['ports'] };
    const plane = new RotatingPlane(c, bins.dir, state.ports);
    await mkdir(plane.dir, { recursive: true });
    await c.apiserver!.stop();
    const pids = JSON.parse(await readFile(join(dirname(c.logDir), 'pids.json'), 'utf8')) as { children: Record<string, { pid: number }> };
    const kcm = pids.children['kube-controller-manager']?.pid;
    if (kcm) process.kill(kcm, 'SIGTERM'); // the harness's controller-manager, started by this test
    return plane;
  }

  /** Writes the test's admin kubeconfig: `admin` trusted through `trust`. */
  async writeAdmin(admin: { certPem: string; keyPem: string }, trust: string): Promise<void> {
    this.trust = trust;
    await writeFile(this.adminKubeconfig, clientKubeconfig({ server: this.c.server, caPem: trust, user: 'kubernetes-admin', ...admin }), { mode: 0o600 });
  }

  private async spawnLogged(name: string, args: string[]): Promise<ChildProcess> {
    const log = await open(join(this.c.logDir, `${name}.rotation.log`), 'a');
    const child = spawn(join(this.binDir, name), args, { stdio: ['ignore', log.fd, log.fd] });
    child.once('exit', () => void log.close().catch(() => undefined));
    return child;
  }

  /** (Re)starts the apiserver with `extra` flags; resolves once /readyz answers 200 (verified with `this.trust`). */
  async restartApiserver(extra: string[]): Promise<void> {
    await stop(this.apiserver);
    this.apiserver = await this.spawnLogged('kube-apiserver', apiserverArgs(this.c.stateDir, this.ports, { extra }));
    const end = Date.now() + 60_000;
    while ((await this.readyz()) !== 200) {
      if (this.apiserver.exitCode !== null || Date.now() > end)
        throw new Error(`kube-apiserver did not become ready; see ${this.c.logDir}/kube-apiserver.rotation.log`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** (Re)starts the controller-manager with `kubeconfig` and `extra` flags. */
  async restartControllerManager(kubeconfig: string, extra: string[]): Promise<void> {
    await stop(this.kcm);
    this.kcm = await this.spawnLogged('kube-controller-manager', controllerManagerArgs(this.c.stateDir, kubeconfig, { bare: this.c.bare, extra }));
  }

  private readyz(): Promise<number> {
    return new Promise((resolve) => {
      const r = request(`${this.c.server}/readyz`, { ca: this.trust, timeout: 2000, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('timeout', () => r.destroy());
      r.on('error', () => resolve(0));
      r.end();
    });
  }

  async stop(): Promise<void> {
    await Promise.all([stop(this.apiserver), stop(this.kcm)]);
  }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

/** The issuer's common name of the client certificate in a kubelet-style pem file. */
export async function issuerOf(pemFile: string): Promise<string> {
  const text = await readFile(pemFile, 'utf8');
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0] ?? '';
  return new X509Certificate(first).issuer;
}
