// Kubeconfig text, byte for byte as client-go v0.36 writes it (clientcmd.Write: JSON field
// order sorted by sigs.k8s.io/yaml, `preferences` omitted since it became omitzero).
const b64 = (pem: string): string => Buffer.from(pem.endsWith('\n') ? pem : `${pem}\n`).toString('base64');

/**
 * Deliberately independent of agent/admin/cluster-info.ts: the harness stands in for
 * kubeadm, so the product's `cluster prepare` is compared against it, not against itself.
 * The kubeconfig kubeadm puts in kube-public/cluster-info: one cluster named "" with only
 * the server and the CA data (kubeadm's clusterinfo phase, CreateBootstrapConfigMapIfNotExists).
 */
export function clusterInfoKubeconfig(server: string, caPem: string): string {
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(caPem)}`,
    `    server: ${server}`,
    '  name: ""',
    'contexts: null',
    'current-context: ""',
    'kind: Config',
    'users: null',
    '',
  ].join('\n');
}

/** A client-certificate kubeconfig like kubeadm's admin.conf (data embedded). */
export function clientKubeconfig(opts: { server: string; caPem: string; user: string; certPem: string; keyPem: string }): string {
  const context = `${opts.user}@kubernetes`;
  return [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(opts.caPem)}`,
    `    server: ${opts.server}`,
    '  name: kubernetes',
    'contexts:',
    '- context:',
    '    cluster: kubernetes',
    `    user: ${opts.user}`,
    `  name: ${context}`,
    `current-context: ${context}`,
    'kind: Config',
    'users:',
    `- name: ${opts.user}`,
    '  user:',
    `    client-certificate-data: ${b64(opts.certPem)}`,
    `    client-key-data: ${b64(opts.keyPem)}`,
    '',
  ].join('\n');
}
