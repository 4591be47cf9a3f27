import { parse, stringify } from 'yaml';
import { KubejoinError } from '../errors.js';

// Reading the cluster out of a kubeconfig (cluster-info, --discovery-file) and writing
// the kubeconfigs kubejoin hands out.

export interface ClusterEntry {
  name: string;
  server: string;
  /** PEM bundle. */
  caPem: string;
}

interface KubeconfigShape {
  clusters?: { name?: string; cluster?: { server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  contexts?: { name?: string; context?: { cluster?: string } }[] | null;
  'current-context'?: string;
}

/**
 * The cluster of a kubeconfig: the current context's cluster, else the only/first one.
 * `what` names the source in errors ("cluster-info", "the discovery file").
 */
export function clusterOf(text: string, what: string, readFile?: (path: string) => string): ClusterEntry {
  let doc: KubeconfigShape;
  try {
    doc = (parse(text) ?? {}) as KubeconfigShape;
  } catch (err) {
    throw new KubejoinError('untrusted-cluster', `${what} is not a valid kubeconfig: ${(err as Error).message}`);
  }
  const clusters = Array.isArray(doc.clusters) ? doc.clusters : [];
  if (clusters.length === 0) throw new KubejoinError('untrusted-cluster', `${what} holds no cluster`);
  const current = (doc.contexts ?? []).find((c) => c?.name === doc['current-context'])?.context?.cluster;
  const entry = clusters.find((c) => current !== undefined && c.name === current) ?? clusters[0]!;
  const server = entry.cluster?.server;
  if (!server || !/^https:\/\//.test(server)) {
    throw new KubejoinError('untrusted-cluster', `${what} has no https server URL for cluster "${entry.name ?? ''}"`);
  }
  let caPem: string | undefined;
  const data = entry.cluster?.['certificate-authority-data'];
  if (data) caPem = Buffer.from(data, 'base64').toString('utf8');
  else if (entry.cluster?.['certificate-authority'] && readFile) caPem = readFile(entry.cluster['certificate-authority']);
  if (!caPem || !caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new KubejoinError('untrusted-cluster', `${what} has no CA certificate for cluster "${entry.name ?? ''}"`);
  }
  return { name: entry.name ?? '', server, caPem };
}

export type KubeconfigUser =
  | { kind: 'files'; certFile: string; keyFile: string }
  | { kind: 'exec'; command: string; args: string[] };

/** A kubeconfig like the kubelet's kubelet.conf: one cluster, one user, one context. */
export function renderKubeconfig(cluster: { server: string; caPem: string }, user: KubeconfigUser): string {
  const userEntry =
    user.kind === 'files'
      ? { 'client-certificate': user.certFile, 'client-key': user.keyFile }
      : {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: user.command,
            args: user.args,
            interactiveMode: 'Never',
            provideClusterInfo: false,
          },
        };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'default-cluster', cluster: { 'certificate-authority-data': Buffer.from(cluster.caPem).toString('base64'), server: cluster.server } }],
    contexts: [{ name: 'default-context', context: { cluster: 'default-cluster', namespace: 'default', user: 'default-auth' } }],
    'current-context': 'default-context',
    preferences: {},
    users: [{ name: 'default-auth', user: userEntry }],
  });
}
