// Test harness: a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager
// v1.36.3) on loopback, set up like `kubeadm init` for bootstrap-token joins.
export { ensureControlPlaneBinaries, type ControlPlaneBinaries } from './binaries.js';
export { attachCluster, startCluster, type StartClusterOptions } from './cluster.js';
export type { ApiserverControl, ClusterHandle, KubectlResult } from './handle.js';
export type { ApiRequest, ApiResponse, Auth } from './https.js';
export { testCluster } from './shared.js';
export { caCertHash } from './pki.js';
export { randomTokenPart, tokenSecret, type TokenOptions } from './tokens.js';
export { clusterInfoKubeconfig } from './kubeconfig.js';
