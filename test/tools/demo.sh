#!/usr/bin/env bash
# npm run demo: the main job on the embedded default. Installs what it lacks, starts a
# real local control plane (etcd, kube-apiserver, kube-controller-manager v1.36.3),
# makes a fresh bootstrap token, joins this machine with `kubejoin join`, and shows the
# identity the cluster sees with `kubectl auth whoami`. The cluster is stopped at the end
# (--keep leaves it running and prints how to stop it).
set -euo pipefail
cd "$(dirname "$0")/../.."
keep=false
[ "${1:-}" = "--keep" ] && keep=true

bash test/tools/ensure.sh
npm run -s build

state=$(mktemp -d -t kubejoin-demo.XXXXXX)
stop() {
  if $keep; then
    echo; echo "The cluster keeps running. Stop it with: npm run -s cluster -- down --state-dir $state"
  else
    bash test/tools/cluster.sh down --state-dir "$state" >/dev/null 2>&1 || true
    rm -rf "$state"
  fi
}
trap stop EXIT

echo "== Starting a local control plane (real Kubernetes v1.36.3)"
cluster=$(bash test/tools/cluster.sh up --state-dir "$state")
endpoint=$(node -e 'console.log(JSON.parse(process.argv[1]).endpoint)' "$cluster")
admin=$(node -e 'console.log(JSON.parse(process.argv[1]).adminKubeconfig)' "$cluster")

echo "== Creating a bootstrap token with kubejoin's admin side"
# The token goes to a 0600 file and never to the terminal.
umask 077
node dist/cli.mjs token create --kubeconfig "$admin" --description "kubejoin demo" > "$state/token"
hash=$(node dist/cli.mjs ca-hash --kubeconfig "$admin" | head -1)

echo "== Joining this machine"
echo "   kubejoin join $endpoint --token-file $state/token --discovery-token-ca-cert-hash $hash --store file ..."
node dist/cli.mjs join "$endpoint" --token-file "$state/token" --discovery-token-ca-cert-hash "$hash" \
  --node-name "$(hostname | tr 'A-Z_' 'a-z-')" --store file \
  --cert-dir "$state/node/pki" --kubeconfig-out "$state/node/kubelet.conf"

echo
echo "== The identity the cluster sees for the new credential (kubectl auth whoami)"
kubectl --kubeconfig "$state/node/kubelet.conf" auth whoami
