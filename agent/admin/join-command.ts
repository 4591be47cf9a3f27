import { UsageError } from '../errors.js';
import { certificatesOf, pinOf } from '../protocol/pin.js';

// The join line `token create --print-join-command` prints: kubejoin's (accepted verbatim by
// `kubejoin join`) or kubeadm's. One --discovery-token-ca-cert-hash per CA in the bundle.

/** `host:port` of an https server URL (IPv6 stays bracketed; no port = 443). */
export function endpointOf(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`the kubeconfig's server ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(`the kubeconfig's server ${JSON.stringify(server)} is not https: nodes discover the cluster over TLS`);
  }
  return `${url.hostname}:${url.port || '443'}`;
}

/** The sha256 pins of every certificate in a PEM bundle; an error if there is none. */
export function pinsOf(caBytes: Buffer | undefined, what: string): string[] {
  const certs = caBytes === undefined ? [] : certificatesOf(caBytes.toString('utf8'));
  if (certs.length === 0) {
    throw new UsageError(
      `${what} holds no CA certificate, so there is nothing to pin`,
      'Use a kubeconfig with certificate-authority or certificate-authority-data for the cluster.',
    );
  }
  return [...new Set(certs.map((c) => pinOf(c)))];
}

export type JoinFormat = 'kubejoin' | 'kubeadm';

export function joinCommand(format: JoinFormat, endpoint: string, token: string, pins: readonly string[]): string {
  const hashes = pins.map((p) => `--discovery-token-ca-cert-hash ${p}`).join(' ');
  return `${format} join ${endpoint} --token ${token} ${hashes}`;
}
