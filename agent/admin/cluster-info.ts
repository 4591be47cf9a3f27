import { clusterOf } from '../protocol/kubeconfig.js';

// The kubeconfig stored in kube-public/cluster-info, byte for byte as kubeadm writes it:
// client-go's clientcmd.Write of a Config holding one unnamed cluster (keys sorted, nulls
// spelled out, no users, no contexts). Pure.

export { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, JWS_KEY_PREFIX, KUBECONFIG_KEY } from '../protocol/cluster-info.js';

// A YAML plain scalar Go's yaml.v2 would also leave unquoted (conservatively: URL characters only).
const PLAIN = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9._~:/?[\]@!$&'()*+,;=%-]*$/;

function scalar(s: string): string {
  return PLAIN.test(s) && !s.includes(': ') && !s.includes(' #') ? s : JSON.stringify(s);
}

/** kubeadm's cluster-info kubeconfig for `server` and the CA bundle bytes. */
export function clusterInfoKubeconfig(server: string, caBytes: Buffer): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${caBytes.toString('base64')}`,
    `    server: ${scalar(server)}`,
    '  name: ""',
    'contexts: null',
    'current-context: ""',
    'kind: Config',
    'users: null',
    '',
  ].join('\n');
}

/** True if `text` names the same server and CA bundle (whatever its formatting). */
export function sameCluster(text: string, server: string, caBytes: Buffer): boolean {
  try {
    const c = clusterOf(text, 'cluster-info');
    return c.server === server && c.caPem === caBytes.toString('utf8');
  } catch {
    return false;
  }
}
