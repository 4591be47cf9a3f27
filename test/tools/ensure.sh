#!/usr/bin/env bash
# Installs what kubejoin's demo and tests need and is missing on this machine:
# Debian packages (as root), node_modules (npm ci), the control-plane binaries (built
# from the official Kubernetes sources through the Go module proxy, cached outside the repo).
set -euo pipefail
cd "$(dirname "$0")/../.."

# keytar builds from source: node's own headers instead of a download; no Electron binary here.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
[ -d /usr/include/node ] && export npm_config_nodedir=/usr

need_pkgs=()
command -v dbus-run-session >/dev/null || need_pkgs+=(dbus)
command -v dbus-launch >/dev/null || need_pkgs+=(dbus-x11)
command -v gnome-keyring-daemon >/dev/null || need_pkgs+=(gnome-keyring)
pkg-config --exists libsecret-1 2>/dev/null || need_pkgs+=(libsecret-1-dev pkg-config)
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v promtool >/dev/null || need_pkgs+=(prometheus)
command -v prometheus-node-exporter >/dev/null || need_pkgs+=(prometheus-node-exporter)
command -v kubectl >/dev/null || echo "ensure: kubectl is not installed: the tests that prove kubeconfigs with kubectl will fail" >&2
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "ensure: installing Debian packages: ${need_pkgs[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >&2
  else
    echo "ensure: missing Debian packages (run as root to install them): ${need_pkgs[*]}" >&2
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi

# The control plane (first build: about 6 minutes on 2 cores; then cached).
bash test/control-plane/build.sh >&2
