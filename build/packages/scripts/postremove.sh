#!/bin/sh
# kubejoin deb/rpm after-remove: let a running systemd forget the unit. /etc/kubejoin holds
# the operator's files (join.yaml, join-token) and is left alone, except by purge when empty.
set -e
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
if [ "$1" = purge ]; then rmdir /etc/kubejoin 2>/dev/null || true; fi
exit 0
