import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { CLUSTER_INFO_PATH } from '../../../agent/protocol/cluster-info.js';
import { servingCertificate } from '../../helpers/certs.js';
import { TOKEN_ID } from '../../helpers/fixtures.js';

// A tiny HTTPS server of our own on 127.0.0.1 for the discovery poll loop's tests
// (docs/protocol.md §3.1-3.2, §3.6): each quorum read of cluster-info gets the next scripted
// reply (the last one repeats). A read from the API server's cache (resourceVersion=0) gets
// `cache` when one is set, else the reply the next quorum read will get, without taking it:
// a cache in step with etcd. The real apiserver is covered by the integration tests.

export type Reply = { status: number; body?: unknown; raw?: string };
export const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters: []\n';
export const SIGNATURE = 'eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..c2lnbmF0dXJl';
export const configMap = (data: Record<string, string>): Reply => ({ status: 200, body: { kind: 'ConfigMap', data } });
export const SIGNED = configMap({ kubeconfig: KUBECONFIG, [`jws-kubeconfig-${TOKEN_ID}`]: SIGNATURE });
export const UNSIGNED = configMap({ kubeconfig: KUBECONFIG, 'jws-kubeconfig-zzzzzz': SIGNATURE });
export const NO_KUBECONFIG = configMap({ [`jws-kubeconfig-${TOKEN_ID}`]: SIGNATURE });
export const NOT_FOUND: Reply = { status: 404, body: { kind: 'Status', code: 404 } };
export const FORBIDDEN: Reply = { status: 403, body: { kind: 'Status', code: 403 } };
/** The paths of a quorum read and of a read from the cache. */
export const FRESH = CLUSTER_INFO_PATH;
export const CACHED = `${CLUSTER_INFO_PATH}?resourceVersion=0`;

export interface Scripted {
  endpoint: string;
  script: Reply[];
  cache: Reply | undefined;
  /** The URL of every request, in order. */
  paths: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function scriptedServer(): Promise<Scripted> {
  const state: Scripted = {
    endpoint: '',
    script: [],
    cache: undefined,
    paths: [],
    reset() {
      state.script = [];
      state.cache = undefined;
      state.paths = [];
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = https.createServer(await servingCertificate(), (req, res) => {
    const url = req.url ?? '';
    state.paths.push(url);
    const reply = (url === CACHED ? (state.cache ?? state.script[0]) : state.script.length > 1 ? state.script.shift() : state.script[0]) ?? { status: 500 };
    res.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(reply.raw ?? JSON.stringify(reply.body ?? {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
