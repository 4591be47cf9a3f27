// Where the cluster's public identity lives (docs/protocol.md §2.1): the ConfigMap
// kube-public/cluster-info, its `kubeconfig` key, and one `jws-kubeconfig-<id>` key per
// signing token. Read by discovery, written by `cluster prepare` and `cluster sign`.

export const CLUSTER_INFO_NAMESPACE = 'kube-public';
export const CLUSTER_INFO_NAME = 'cluster-info';
export const KUBECONFIG_KEY = 'kubeconfig';
export const JWS_KEY_PREFIX = 'jws-kubeconfig-';
export const CLUSTER_INFO_PATH = `/api/v1/namespaces/${CLUSTER_INFO_NAMESPACE}/configmaps/${CLUSTER_INFO_NAME}`;
