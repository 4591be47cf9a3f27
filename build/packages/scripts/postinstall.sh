#!/bin/sh
# kubejoin deb/rpm after-install: the config directory, the directories the first-boot join
# may write (kubejoin-join.service has a read-only file system elsewhere), and the units,
# enabled (the join does nothing until /etc/kubejoin/join.yaml exists, the rotation agent
# nothing until a join wrote /etc/kubernetes/kubelet.conf). Works in an image build
# (chroot, no running systemd) too.
set -e
if [ -d /etc/kubejoin ]; then chmod 0750 /etc/kubejoin; else install -d -m 0750 -o root -g root /etc/kubejoin; fi
[ -d /etc/kubernetes ] || install -d -m 0755 /etc/kubernetes
[ -d /var/lib/kubelet ] || install -d -m 0700 /var/lib/kubelet
if [ -f /etc/kubejoin/join-token ]; then chmod 0600 /etc/kubejoin/join-token; fi
if command -v systemctl >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null 2>&1 || true; fi
  systemctl enable kubejoin-join.service >/dev/null 2>&1 || echo "kubejoin: could not enable kubejoin-join.service" >&2
  # The rotation agent: enabled (it waits for a join's kubeconfig); restarted on an upgrade of
  # a joined machine so it runs the new executable.
  systemctl enable kubejoin-agent.service >/dev/null 2>&1 || echo "kubejoin: could not enable kubejoin-agent.service" >&2
  if [ -d /run/systemd/system ] && [ -f /etc/kubernetes/kubelet.conf ]; then systemctl restart kubejoin-agent.service >/dev/null 2>&1 || true; fi
fi
exit 0
