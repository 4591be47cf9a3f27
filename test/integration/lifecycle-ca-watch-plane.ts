// Shared by lifecycle-ca-watch*.test.ts: a cluster of the test's own (its cluster-info is
// changed, which no shared cluster may see), the CA bundle published in cluster-info, and the
// CAs a node's kubeconfig holds on disk.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { clusterInfoKubeconfig, type ClusterHandle } from '../harness/index.js';
import { clusterOf } from '../../agent/protocol/kubeconfig.js';
import { certificatesOf } from '../../agent/protocol/pin.js';
import { kubejoin } from '../helpers/cli.js';
import { newCa } from './ca-rotation-plane.js';

/** Puts `bundle` into kube-public/cluster-info's kubeconfig (the administrator's step (a) of a CA rotation). */
export async function publish(c: ClusterHandle, bundle: string): Promise<void> {
  const patch = JSON.stringify({ data: { kubeconfig: clusterInfoKubeconfig(c.server, bundle) } });
  const r = await c.kubectl(['-n', 'kube-public', 'patch', 'configmap', 'cluster-info', '--type', 'merge', '-p', patch]);
  assert.equal(r.code, 0, r.stderr);
}

/** The cluster's CA and one new CA (as kubeadm's manual rotation makes it), as a bundle, and the new CA's fingerprint. */
export async function bundleWithNewCa(c: ClusterHandle): Promise<{ bundle: string; fingerprint: string; subject: string }> {
  const next = await newCa();
  const fingerprint = certificatesOf(next.pem)[0]!.fingerprint256;
  return { bundle: `${c.caPem.trim()}\n${next.pem.trim()}\n`, fingerprint, subject: next.cert.subject };
}

/** The fingerprints of the CAs a kubeconfig on disk holds. */
export async function storedCas(kubeconfig: string): Promise<string[]> {
  return certificatesOf(clusterOf(await readFile(kubeconfig, 'utf8'), kubeconfig).caPem).map((x) => x.fingerprint256);
}

/** Polls the kubeconfig on disk until it holds `fingerprint`; the ms it took, or fails after `limitMs`. */
export async function caLanded(kubeconfig: string, fingerprint: string, since: number, limitMs: number, detail: () => string): Promise<number> {
  for (;;) {
    if ((await storedCas(kubeconfig)).includes(fingerprint)) return Date.now() - since;
    assert.ok(Date.now() - since < limitMs, `the new CA is not in ${kubeconfig} ${limitMs} ms after it was published:\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `kubejoin cluster prepare` on the cluster: the nodes may watch cluster-info from now on. */
export async function allowWatch(c: ClusterHandle): Promise<string> {
  const r = await kubejoin(['cluster', 'prepare', '--kubeconfig', c.adminKubeconfig]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}
