#!/usr/bin/env bash
# Build the real control plane used by the tests and the demo: kube-apiserver and
# kube-controller-manager v1.36.3 (from the Go module in this folder) and etcd v3.6.13
# (from ./etcd), into a cache OUTSIDE the repository:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/kubejoin/control-plane/v1.36.3-<hash>/
# <hash> covers both go.mod/go.sum pairs, the build flags and the Go version, so a change
# to any of them builds into a new directory. A complete directory is reused as is.
#
# KUBEJOIN_CONTROL_PLANE_BIN=<dir> holding kube-apiserver, kube-controller-manager and etcd
# (e.g. from setup-envtest) skips the build.
#
# Progress goes to stderr; the bin dir is the last line of stdout.
# Usage: build.sh [--print-dir]   (--print-dir: only print where the cache would be)
set -euo pipefail

K8S_VERSION=v1.36.3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BINARIES=(kube-apiserver kube-controller-manager etcd)

say() { printf '[control-plane] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Each binary must exist and answer --version.
check_dir() {
  local dir=$1 b
  for b in "${BINARIES[@]}"; do
    [[ -x "$dir/$b" ]] || return 1
    "$dir/$b" --version >/dev/null 2>&1 || return 1
  done
}

if [[ -n "${KUBEJOIN_CONTROL_PLANE_BIN:-}" ]]; then
  dir=$(cd "$KUBEJOIN_CONTROL_PLANE_BIN" 2>/dev/null && pwd) || die "KUBEJOIN_CONTROL_PLANE_BIN=$KUBEJOIN_CONTROL_PLANE_BIN is not a directory"
  check_dir "$dir" || die "KUBEJOIN_CONTROL_PLANE_BIN=$dir must hold working ${BINARIES[*]}"
  echo "$dir"
  exit 0
fi

command -v go >/dev/null || die "go is not installed (needed once to build the control plane)"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off GOFLAGS=-buildvcs=false

VERSION_PKG=k8s.io/component-base/version
K8S_LDFLAGS="-s -w -X $VERSION_PKG.gitVersion=$K8S_VERSION -X $VERSION_PKG.gitMajor=1 -X $VERSION_PKG.gitMinor=36"
ETCD_LDFLAGS="-s -w"
BUILD_FLAGS="CGO_ENABLED=0 -trimpath"

hash=$(
  {
    cat "$HERE/go.mod" "$HERE/go.sum" "$HERE/etcd/go.mod" "$HERE/etcd/go.sum"
    printf '%s\n' "$BUILD_FLAGS" "$K8S_LDFLAGS" "$ETCD_LDFLAGS" "$(go env GOVERSION GOOS GOARCH)"
  } | sha256sum | cut -c1-12
)
ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/kubejoin/control-plane"
OUT="$ROOT/$K8S_VERSION-$hash"

if [[ "${1:-}" == "--print-dir" ]]; then
  echo "$OUT"
  exit 0
fi

mkdir -p "$ROOT"
if check_dir "$OUT"; then
  echo "$OUT"
  exit 0
fi

# One build at a time (two test processes may ask at once); re-check after the wait.
exec 9>"$ROOT/.lock"
if ! flock -n 9; then
  say "another build is running; waiting for it"
  flock 9
fi
if check_dir "$OUT"; then
  echo "$OUT"
  exit 0
fi

rm -rf "$ROOT"/.build-* # left by a build that was SIGKILLed (we hold the lock)
TMP=$(mktemp -d "$ROOT/.build-XXXXXX")
ticker=""
cleanup() {
  rm -rf "$TMP"
  if [[ -n "$ticker" ]]; then kill "$ticker" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$SECONDS
build() { # name, module dir, package, ldflags
  local name=$1 moddir=$2 pkg=$3 ldflags=$4 t0=$SECONDS
  say "building $name ($(( SECONDS - start ))s elapsed)"
  ( # a progress line every 20 s; 1 s sleeps so that nothing lingers once we are gone
    n=0
    while sleep 1 && kill -0 $$ 2>/dev/null; do
      if (( ++n % 20 == 0 )); then say "  still building $name: $(( SECONDS - t0 ))s"; fi
    done
  ) &
  ticker=$!
  (cd "$moddir" && go build -trimpath -ldflags "$ldflags" -o "$TMP/$name" "$pkg") >&2 \
    || die "go build of $name failed"
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  ticker=""
  say "built $name in $(( SECONDS - t0 ))s"
}

say "building the control plane ($K8S_VERSION, etcd from $HERE/etcd) into $OUT"
say "the first build takes about 6 minutes on 2 cores (later builds reuse the Go build cache)"
build kube-apiserver "$HERE" k8s.io/kubernetes/cmd/kube-apiserver "$K8S_LDFLAGS"
build kube-controller-manager "$HERE" k8s.io/kubernetes/cmd/kube-controller-manager "$K8S_LDFLAGS"
build etcd "$HERE/etcd" go.etcd.io/etcd/server/v3 "$ETCD_LDFLAGS"

"$TMP/kube-apiserver" --version | grep -q "Kubernetes $K8S_VERSION" \
  || die "kube-apiserver --version does not report $K8S_VERSION"
check_dir "$TMP" || die "a built binary does not run"
echo "$K8S_VERSION" >"$TMP/VERSION"
chmod 755 "$TMP"
mv -T "$TMP" "$OUT" 2>/dev/null || { rm -rf "$OUT"; mv -T "$TMP" "$OUT"; }
say "done in $(( SECONDS - start ))s: $OUT"
echo "$OUT"
