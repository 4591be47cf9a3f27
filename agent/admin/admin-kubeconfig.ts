import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type * as ClientNodeModule from '@kubernetes/client-node';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import { parseRequestTimeout } from './request-timeout.js';

// The admin kubeconfig, found and merged the way kubectl does it:
//   --kubeconfig FILE  >  $KUBECONFIG (list, merged, first file to set a value wins)  >  ~/.kube/config
//   > in-cluster service account; then --context, else current-context.
// Users of any kind client-node supports (client certificates, tokens, exec plugins, auth
// providers). @kubernetes/client-node is loaded here, on demand, and nowhere on the join path.

export interface KubeconfigFlags {
  kubeconfig?: string;
  context?: string;
  /** kubectl's --request-timeout (agent/admin/request-timeout.ts). */
  'request-timeout'?: string;
}

export interface AdminTarget {
  kc: KubeConfig;
  /** Where it came from, for messages: a path, a list of paths, or "in-cluster". */
  source: string;
  context: string;
  cluster: {
    name: string;
    server: string;
    /** The CA bundle bytes exactly as the kubeconfig holds them (data, or the file's content). */
    caBytes?: Buffer;
  };
  /** The kubeconfig user's name (the server's view of the identity may differ). */
  userName: string;
  /** Bound of every API call (ms; 0: none), from --request-timeout. */
  requestTimeoutMs: number;
}

export type ClientNode = typeof ClientNodeModule;

let clientNode: Promise<ClientNode> | undefined;
/** The client library, loaded once, only by admin commands. */
export function loadClientNode(): Promise<ClientNode> {
  clientNode ??= import('@kubernetes/client-node');
  return clientNode;
}

/** Which files to read, by kubectl's precedence; `undefined` = in-cluster or nothing. */
export function kubeconfigFiles(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): string[] | undefined {
  if (flags.kubeconfig !== undefined && flags.kubeconfig !== '') return [flags.kubeconfig];
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (list.length > 0) {
    const present = [...new Set(list)].filter((f) => existsSync(f));
    if (present.length === 0) {
      throw new UsageError(`none of the files in KUBECONFIG exist (${list.join(delimiter)})`, 'Fix KUBECONFIG or pass --kubeconfig FILE.');
    }
    return present;
  }
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  const dflt = join(home, '.kube', 'config');
  return existsSync(dflt) ? [dflt] : undefined;
}

function firstWins<T extends { name: string }>(lists: T[][]): T[] {
  const seen = new Map<string, T>();
  for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()];
}

export async function loadAdminKubeconfig(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): Promise<AdminTarget> {
  const requestTimeoutMs = parseRequestTimeout(flags['request-timeout']);
  const files = kubeconfigFiles(flags, env);
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  let source: string;
  if (files === undefined) {
    if (!env.KUBERNETES_SERVICE_HOST || !existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
      throw new UsageError(
        'no kubeconfig found: --kubeconfig is not given, KUBECONFIG is empty and ~/.kube/config does not exist',
        'Pass --kubeconfig FILE (for example /etc/kubernetes/admin.conf) or set KUBECONFIG.',
      );
    }
    kc.loadFromCluster();
    source = 'in-cluster service account';
  } else {
    const parts = files.map((file) => {
      const one = new k8s.KubeConfig();
      try {
        one.loadFromFile(file);
      } catch (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'it does not exist'
            : err instanceof TypeError
              ? 'it is empty or not a kubeconfig'
              : (err as Error).message;
        throw new UsageError(`cannot load kubeconfig ${file}: ${why}`);
      }
      return one;
    });
    const clusters: Cluster[][] = parts.map((p) => p.clusters ?? []);
    const users: User[][] = parts.map((p) => p.users ?? []);
    const contexts: Context[][] = parts.map((p) => p.contexts ?? []);
    kc.loadFromOptions({
      clusters: firstWins(clusters),
      users: firstWins(users),
      contexts: firstWins(contexts),
      currentContext: parts.map((p) => p.currentContext).find((c) => typeof c === 'string' && c !== '') ?? '',
    });
    source = files.join(delimiter);
  }
  if (flags.context !== undefined && flags.context !== '') {
    if (!kc.getContextObject(flags.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new UsageError(
        `context ${JSON.stringify(flags.context)} is not in ${source}`,
        known.length > 0 ? `Known contexts: ${known.join(', ')}.` : 'That kubeconfig has no contexts.',
      );
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getCurrentContext();
  if (!context || !kc.getContextObject(context)) {
    throw new UsageError(`${source} has no current context${context ? ` (${JSON.stringify(context)} is not defined)` : ''}`, 'Pass --context NAME.');
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster || !cluster.server) {
    throw new UsageError(`context ${JSON.stringify(context)} in ${source} names no cluster with a server`);
  }
  let caBytes: Buffer | undefined;
  try {
    if (cluster.caData) caBytes = Buffer.from(cluster.caData, 'base64');
    else if (cluster.caFile) caBytes = readFileSync(cluster.caFile);
  } catch (err) {
    throw new UsageError(`cannot read the certificate-authority of cluster ${JSON.stringify(cluster.name)}: ${(err as Error).message}`);
  }
  const target: AdminTarget = {
    kc,
    source,
    context,
    cluster: { name: cluster.name, server: cluster.server },
    userName: kc.getCurrentUser()?.name ?? '',
    requestTimeoutMs,
  };
  if (caBytes !== undefined) target.cluster.caBytes = caBytes;
  return target;
}
