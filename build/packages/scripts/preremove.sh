#!/bin/sh
# kubejoin deb/rpm before-remove: disable the first-boot unit and stop the rotation agent on removal (deb: "remove",
# rpm: 0 packages left), not on upgrade. The credential it wrote stays where it is.
set -e
case "$1" in
  remove|0)
    if command -v systemctl >/dev/null 2>&1; then
      systemctl disable kubejoin-join.service >/dev/null 2>&1 || true
      systemctl disable --now kubejoin-agent.service >/dev/null 2>&1 || true
    fi
    ;;
esac
exit 0
