// HTTP answers an attacker scripts over TLS: a cluster-info of our own making (signed with
// the test's token where a case needs the JWS to pass), floods, redirects.
import type tls from 'node:tls';
import { signDetached } from '../../../agent/protocol/jws.js';

export const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/** The cluster-info ConfigMap as JSON, with `signature` under jws-kubeconfig-<id>. */
export function clusterInfoJson(kubeconfig: string, tokenId: string, signature: string): string {
  return JSON.stringify({
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cluster-info', namespace: 'kube-public' },
    data: { kubeconfig, [`jws-kubeconfig-${tokenId}`]: signature },
  });
}

/** A kubeconfig without any CA: what a broken or hostile cluster-info may carry. */
export function kubeconfigWithoutCa(server: string): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    server: ${server}`,
    '  name: ""',
    'contexts: null',
    'current-context: ""',
    'kind: Config',
    'users: null',
    '',
  ].join('\n');
}

/** A correct detached JWS for `token` over `content` (the attacker knows the token in this case). */
export function signedWith(content: string, token: string): string {
  const [id, secret] = token.split('.') as [string, string];
  return signDetached(content, id, secret);
}

/** An unsigned JWS: header {"alg":"none"} and an empty signature. */
export function algNone(tokenId: string): string {
  return `${Buffer.from(JSON.stringify({ alg: 'none', kid: tokenId })).toString('base64url')}..`;
}

/** Writes a complete HTTP/1.1 answer and keeps the connection open (keep-alive). */
export function answer(socket: tls.TLSSocket, status: number, body: string, headers: Record<string, string> = {}): void {
  const head = [
    `HTTP/1.1 ${status} X`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  socket.write(head + body);
}
