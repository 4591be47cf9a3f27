#!/usr/bin/env bash
# npm test: installs what it lacks, builds (dist/, the product, and test/out/dist-test/, the
# test build with the test hooks: build/test-hooks.mjs), starts ONE real control plane
# shared by the tests (KUBEJOIN_TEST_CLUSTER), and runs every test with node's test runner
# inside a D-Bus session with an unlocked gnome-keyring, so the keychain tests use a real one.
# Extra arguments are test files (default: all of test/**/*.test.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${KUBEJOIN_TEST_SETUP_DONE:-}" ]; then
  bash test/tools/ensure.sh
  npm run -s build
  node build/bundle.mjs --test-hooks
  export KUBEJOIN_TEST_SETUP_DONE=1
fi

if [ -z "${KUBEJOIN_IN_DBUS:-}" ] && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  exec env KUBEJOIN_IN_DBUS=1 dbus-run-session -- bash "$0" "$@"
fi
if [ -n "${KUBEJOIN_IN_DBUS:-}" ] && [ -z "${GNOME_KEYRING_CONTROL:-}" ]; then
  # A throw-away login keyring for this session only (its own data directory, so the
  # user's keyrings are neither used nor touched), unlocked with a throw-away password.
  keyring_home=$(mktemp -d -t kubejoin-keyring.XXXXXX)
  trap 'rm -rf "$keyring_home"' EXIT
  export XDG_DATA_HOME="$keyring_home"
  eval "$(printf 'kubejoin-test\n' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
  export GNOME_KEYRING_CONTROL
fi

if [ -z "${KUBEJOIN_TEST_CLUSTER:-}" ]; then
  state=$(mktemp -d -t kubejoin-test-cluster.XXXXXX)
  cleanup() {
    bash test/tools/cluster.sh down --state-dir "$state" >/dev/null 2>&1 || true
    rm -rf "$state" "${keyring_home:-}"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  bash test/tools/cluster.sh up --state-dir "$state" >/dev/null
  export KUBEJOIN_TEST_CLUSTER="$state"
fi

if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | sort); fi
node --import tsx --test --test-reporter=spec "${files[@]}"
