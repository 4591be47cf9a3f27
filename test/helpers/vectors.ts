// The upstream test vectors (k8s.io/cluster-bootstrap, kubeadm pubkeypin/discovery) and one
// made by the real kubelet, copied into test/fixtures/vectors.json.
import { readFileSync } from 'node:fs';

interface JwsVector {
  content: string;
  tokenId: string;
  tokenSecret: string;
  detached: string;
}
export interface Vectors {
  jwsDetached: JwsVector[];
  jwsInvalid: JwsVector[];
  caPins: { certificatePem: string; pin: string }[];
  pinParsing: { valid: string[]; invalid: string[] };
  clusterInfoKubeconfig: { kubeconfig: string; token: string; caPin: string };
  tokens: { valid: string[]; invalid: string[] };
  kubeletCsrName: { privateKeyPem: string; commonName: string; organization: string[]; usages: string[]; name: string }[];
}

export const vectors = JSON.parse(readFileSync(new URL('../fixtures/vectors.json', import.meta.url), 'utf8')) as Vectors;
