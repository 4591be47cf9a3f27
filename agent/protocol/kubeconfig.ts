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

/**
 * The cluster of a kubeconfig: the current context's cluster, else the only/first one.
 * `what` names the source in errors ("cluster-info", "the discovery file").
 */
export function clusterOf(text: string, what: string, readFile?: (path: string) => string): ClusterEntry {
  let doc: unknown;
  try {
    // No code frame and no process warnings: either could quote a token from the text.
    doc = parse(text, { prettyErrors: false, logLevel: 'error' });
  } catch (err) {
    throw new KubejoinError('untrusted-cluster', `${what} is not a valid kubeconfig: ${(err as Error).message.split('\n')[0]}`);
  }
  // Untrusted YAML: every field is checked for its type before it is used.
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const root: Record<string, unknown> = isObj(doc) ? doc : {};
  const clusters = (Array.isArray(root.clusters) ? root.clusters : []).filter(isObj);
  if (clusters.length === 0) throw new KubejoinError('untrusted-cluster', `${what} holds no cluster`);
  const contexts = (Array.isArray(root.contexts) ? root.contexts : []).filter(isObj);
  const currentContext = contexts.find((c) => str(c.name) === str(root['current-context']))?.context;
  const current = isObj(currentContext) ? str(currentContext.cluster) : undefined;
  const entry = clusters.find((c) => current !== undefined && str(c.name) === current) ?? clusters[0]!;
  const name = str(entry.name) ?? '';
  const cluster = isObj(entry.cluster) ? entry.cluster : {};
  const server = str(cluster.server);
  if (!server || !/^https:\/\//.test(server)) {
    throw new KubejoinError('untrusted-cluster', `${what} has no https server URL for cluster "${name}"`);
  }
  let caPem: string | undefined;
  const data = str(cluster['certificate-authority-data']);
  const caFile = str(cluster['certificate-authority']);
  if (data) caPem = Buffer.from(data, 'base64').toString('utf8');
  else if (caFile && readFile) {
    try {
      caPem = readFile(caFile);
    } catch (err) {
      if (err instanceof KubejoinError) throw err;
      throw new KubejoinError(
        'invalid-input',
        `${what} names the CA file ${caFile}, which cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  if (!caPem || !caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new KubejoinError('untrusted-cluster', `${what} has no CA certificate for cluster "${name}"`);
  }
  return { name, server, caPem };
}

export type KubeconfigUser = { kind: 'files'; certFile: string; keyFile: string } | { kind: 'exec'; command: string; args: string[] };

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
