// Bootstrap token Secrets written as `kubeadm token create` writes them (docs/protocol.md §1;
// kubeadm's encodeTokenSecretData).
import { randomTokenString } from '../../agent/protocol/token.js';
import { DEFAULT_NODE_TOKEN_GROUP } from './bootstrap-objects.js';

/** n characters of [0-9a-z] from a CSPRNG without modulo bias: the engine's own generator. */
export const randomTokenPart = (n: number): string => randomTokenString(n);

export interface TokenOptions {
  id?: string;
  secret?: string;
  /** Default 24 h like kubeadm; 0 = never expires. */
  ttlSeconds?: number;
  /** Raw `expiration` value (wins over ttlSeconds); may be deliberately unparseable. */
  expiration?: string;
  /** Default ['signing', 'authentication']. */
  usages?: ('signing' | 'authentication')[];
  /** Default ['system:bootstrappers:kubeadm:default-node-token']; [] writes no auth-extra-groups. */
  groups?: string[];
  description?: string;
}

/** RFC 3339 in UTC without fractional seconds, as Go's time.RFC3339 prints it. */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function tokenSecret(opts: TokenOptions = {}, now = new Date()): { token: string; id: string; secret: Record<string, unknown> } {
  const id = opts.id ?? randomTokenPart(6);
  const secretPart = opts.secret ?? randomTokenPart(16);
  const data: Record<string, string> = { 'token-id': id, 'token-secret': secretPart };
  if (opts.description) data.description = opts.description;
  const ttl = opts.ttlSeconds ?? 24 * 3600;
  if (opts.expiration !== undefined) data.expiration = opts.expiration;
  else if (ttl > 0) data.expiration = rfc3339(new Date(now.getTime() + ttl * 1000));
  for (const usage of opts.usages ?? ['signing', 'authentication']) data[`usage-bootstrap-${usage}`] = 'true';
  const groups = opts.groups ?? [DEFAULT_NODE_TOKEN_GROUP];
  if (groups.length > 0) data['auth-extra-groups'] = groups.join(',');
  return {
    token: `${id}.${secretPart}`,
    id,
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    },
  };
}
