import { KubejoinError } from '../errors.js';
import { readYamlSubset, YamlSubsetError } from './yaml-subset.js';

// Reading the cluster out of a kubeconfig (cluster-info, --discovery-file) and writing
// the kubeconfigs kubejoin hands out. Both without a general YAML parser, which would cost
// the join path more than everything else it loads (docs/performance.md): the kubeconfig
// subset of yaml-subset.ts in, the same subset out.

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
    doc = readYamlSubset(text);
  } catch (err) {
    // The reader's messages name a line and a construct, never the text (it may hold a token).
    if (!(err instanceof YamlSubsetError)) throw err;
    throw new KubejoinError('untrusted-cluster', `${what} is not a valid kubeconfig: ${err.message}`, {
      hint: 'kubejoin reads kubeconfigs as kubeadm and kubectl write them (block YAML or JSON, one document, no anchors, tags or multi-line values).',
    });
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
  const userEntry: Emitted =
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
  return emit({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'default-cluster', cluster: { 'certificate-authority-data': Buffer.from(cluster.caPem).toString('base64'), server: cluster.server } }],
    contexts: [{ name: 'default-context', context: { cluster: 'default-cluster', namespace: 'default', user: 'default-auth' } }],
    'current-context': 'default-context',
    preferences: {},
    users: [{ name: 'default-auth', user: userEntry }],
  });
}

type Emitted = string | boolean | Emitted[] | { [key: string]: Emitted };

// A string left plain only if every YAML reader takes it as that same string: Go's yaml.v2
// (YAML 1.1: yes/no/on/off/y/n are booleans there) and YAML 1.2 alike. Anything else is
// double-quoted, JSON's escapes being valid YAML; controls and YAML 1.1's line breaks escaped.
const PLAIN = /^[A-Za-z0-9/_.~+-][A-Za-z0-9/_.~+:@=,-]*$/;
const AMBIGUOUS = /^(?:[-+]?[0-9.]|\.|~$|-$|(?:y|yes|n|no|true|false|on|off|null)$)|:$/i;

function scalar(s: string): string {
  if (PLAIN.test(s) && !AMBIGUOUS.test(s)) return s;
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Block YAML in the `yaml` package's layout (two spaces, sequences indented under their key). */
function emit(value: { [key: string]: Emitted }): string {
  const out: string[] = [];
  const walk = (v: Emitted, indent: string, first: string): void => {
    if (typeof v === 'string' || typeof v === 'boolean') throw new Error('emit: a scalar at the top');
    const entries: [string | undefined, Emitted][] = Array.isArray(v) ? v.map((x) => [undefined, x]) : Object.entries(v);
    entries.forEach(([key, x], i) => {
      const lead = i === 0 ? first : indent;
      const head = key === undefined ? `${lead}- ` : `${lead}${key}:`;
      const sep = key === undefined ? '' : ' ';
      if (typeof x === 'string') out.push(`${head}${sep}${scalar(x)}`);
      else if (typeof x === 'boolean') out.push(`${head}${sep}${x}`);
      else if (Array.isArray(x) ? x.length === 0 : Object.keys(x).length === 0) out.push(`${head}${sep}${Array.isArray(x) ? '[]' : '{}'}`);
      else if (key === undefined) walk(x, `${indent}  `, head);
      else {
        out.push(head);
        walk(x, `${indent}  `, `${indent}  `);
      }
    });
  };
  walk(value, '', '');
  return `${out.join('\n')}\n`;
}
