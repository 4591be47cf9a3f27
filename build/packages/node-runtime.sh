#!/usr/bin/env bash
# node-runtime.sh [x64|arm64]: prints the directory of the official Node runtime pinned in
# versions.env (NODE_VERSION) for linux-<arch>, fetched on first use from the npm registry
# (`npm pack node-linux-<arch>@NODE_VERSION`) into the packaging cache. `npm run package` builds
# the executables on it (package.sh); `npm test` runs a second pass of the tests on it
# (test/tools/run-tests.sh). A directory is moved into place only once complete, so an
# interrupted fetch never leaves a half runtime that a later run would trust.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=versions.env
source "$ROOT/build/packages/versions.env"
arch=${1:-x64}
CACHE=${KUBEJOIN_PACKAGING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubejoin/packaging}
dir="$CACHE/node-v$NODE_VERSION-linux-$arch"
if [ ! -x "$dir/bin/node" ] || [ ! -d "$dir/include/node" ]; then
  mkdir -p "$CACHE"
  stage=$(mktemp -d "$CACHE/.stage.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  printf '[node-runtime] fetching node-linux-%s@%s from the npm registry\n' "$arch" "$NODE_VERSION" >&2
  mkdir -p "$stage/pack" "$stage/node"
  (cd "$stage/pack" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null)
  tar -xzf "$stage/pack"/node-linux-"$arch"-*.tgz -C "$stage/node" --strip-components=1
  # Another run may have won the race: keep theirs.
  mv -T "$stage/node" "$dir" 2>/dev/null || true
fi
printf '%s\n' "$dir"
