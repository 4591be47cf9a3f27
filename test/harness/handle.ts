// The ClusterHandle tests use: where the cluster is, kubectl, bootstrap tokens, stop().
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ApiClient, ApiRequest, ApiResponse } from './https.js';
import type { Pki } from './pki.js';
import { sleep } from './time.js';
import { tokenSecret, type TokenOptions } from './tokens.js';

/** What cluster.json in the state dir records. */
export interface ClusterState {
  endpoint: string;
  server: string;
  caCertHash: string;
  caFile: string;
  adminKubeconfig: string;
  adminCertFile: string;
  adminKeyFile: string;
  stateDir: string;
  logDir: string;
  bare: boolean;
  version: string;
  auditLog?: string;
  supervisorPid: number;
  ports: { etcdClient: number; etcdPeer: number; apiserver: number };
  startedAt: string;
  startupMs: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ClusterHandle {
  endpoint: string; // "127.0.0.1:PORT"
  server: string; // "https://127.0.0.1:PORT"
  caCertHash: string; // "sha256:<hex>" of the CA SPKI
  caFile: string;
  caPem: string;
  adminKubeconfig: string; // O=system:masters client certificate, data embedded
  stateDir: string;
  bare: boolean;
  version: string;
  auditLog?: string;
  /** Extras: the admin client certificate and key as files, component logs, start time. */
  adminCertFile: string;
  adminKeyFile: string;
  logDir: string;
  startupMs: number;
  kubectl(args: string[], opts?: { input?: string; kubeconfig?: string }): Promise<KubectlResult>;
  /** Plain HTTPS to the apiserver (verified against the CA); auth defaults to the admin certificate. */
  request(req: ApiRequest): Promise<ApiResponse>;
  /** Writes kube-system/bootstrap-token-<id> as kubeadm does; returns "<id>.<secret>". */
  createToken(opts?: TokenOptions): Promise<string>;
  deleteToken(id: string): Promise<void>;
  /** Waits until the BootstrapSigner added jws-kubeconfig-<id> to kube-public/cluster-info. */
  waitForSignature(id: string, timeoutMs?: number): Promise<void>;
  /** createToken, then waitForSignature: a token a join can use at once. */
  signedToken(opts?: TokenOptions): Promise<string>;
  stop(): Promise<void>;
  /**
   * Only on a cluster this process started (startCluster): kill the kube-apiserver (SIGKILL)
   * and start it again on the same port, for tests of a cluster that goes away and comes back.
   */
  apiserver?: ApiserverControl;
}

export interface ApiserverControl {
  stop(): Promise<void>;
  /** Resolves once /readyz answers 200 again. */
  start(): Promise<void>;
}

const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

export function makeHandle(state: ClusterState, pki: Pki, api: ApiClient, stopCluster: () => Promise<void>, apiserver?: ApiserverControl): ClusterHandle {
  let stopping: Promise<void> | undefined;
  const handle: ClusterHandle = {
    endpoint: state.endpoint,
    server: state.server,
    caCertHash: state.caCertHash,
    caFile: state.caFile,
    caPem: pki.caCert,
    adminKubeconfig: state.adminKubeconfig,
    stateDir: state.stateDir,
    bare: state.bare,
    version: state.version,
    ...(state.auditLog ? { auditLog: state.auditLog } : {}),
    adminCertFile: state.adminCertFile,
    adminKeyFile: state.adminKeyFile,
    logDir: state.logDir,
    startupMs: state.startupMs,
    ...(apiserver ? { apiserver } : {}),

    kubectl(args, opts = {}) {
      const kubectl = process.env.KUBECTL ?? 'kubectl';
      const full = ['--kubeconfig', opts.kubeconfig ?? state.adminKubeconfig, '--cache-dir', join(state.stateDir, '.kube-cache'), ...args];
      return new Promise((resolve) => {
        const child = spawn(kubectl, full, { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        child.stdin.on('error', () => {});
        child.stdin.end(opts.input);
        child.on('error', (err) => resolve({ code: 127, stdout, stderr: `${stderr}${err.message}\n` }));
        child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
      });
    },

    request: (req) => api.request(req),

    async createToken(opts) {
      const { token, secret } = tokenSecret(opts);
      await api.ok({ method: 'POST', path: '/api/v1/namespaces/kube-system/secrets', body: secret });
      return token;
    },

    async signedToken(opts) {
      const token = await this.createToken(opts);
      await this.waitForSignature(token.split('.')[0]!);
      return token;
    },

    async deleteToken(id) {
      const res = await api.request({ method: 'DELETE', path: `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}` });
      if (res.status !== 200 && res.status !== 202 && res.status !== 404) {
        throw new Error(`deleting bootstrap-token-${id}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
      }
    },

    async waitForSignature(id, timeoutMs = 30_000) {
      const key = `jws-kubeconfig-${id}`;
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        const res = await api.request({ path: CLUSTER_INFO }).catch((e: Error) => ({ status: 0, text: e.message, json: () => ({}) }));
        if (res.status === 200) {
          const data = (res.json() as { data?: Record<string, string> }).data ?? {};
          if (data[key]) return;
          last = `cluster-info has no ${key} (keys: ${Object.keys(data).join(', ')})`;
        } else {
          last = `GET cluster-info: HTTP ${res.status} ${res.text.slice(0, 200)}`;
        }
        if (Date.now() > deadline) throw new Error(`no signature for token ${id} after ${timeoutMs} ms: ${last}`);
        await sleep(100);
      }
    },

    stop() {
      stopping ??= (async () => {
        api.close();
        await stopCluster();
      })();
      return stopping;
    },
  };
  return handle;
}
