import { UsageError } from '../errors.js';
import { certificatesOf, pinOf } from '../protocol/pin.js';

// What `token create --print-join-command` prints. kubeadm's format: kubeadm's one line (for
// scripts). kubejoin's: the same join with the token in a file, so it stays out of the process
// list (the line that writes the file, mode 0600, then the join), and kubeadm's line beside it
// as a shell comment (kubejoin join and the window take that line too). Pasted whole into a
// shell, only the first two lines run. One --discovery-token-ca-cert-hash per CA in the bundle.

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

/** The token file the kubejoin form writes and reads (relative: where the lines are run). */
export const JOIN_TOKEN_FILE = 'join-token';

export function joinCommand(format: JoinFormat, endpoint: string, token: string, pins: readonly string[]): string {
  const hashes = pins.map((p) => `--discovery-token-ca-cert-hash ${p}`).join(' ');
  const kubeadm = `kubeadm join ${endpoint} --token ${token} ${hashes}`;
  if (format === 'kubeadm') return kubeadm;
  return [
    `(umask 077 && echo ${token} > ${JOIN_TOKEN_FILE})`,
    `kubejoin join ${endpoint} --token-file ${JOIN_TOKEN_FILE} ${hashes}`,
    `# or, as kubeadm prints it (kubejoin join takes it too): ${kubeadm}`,
  ].join('\n');
}
