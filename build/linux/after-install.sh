#!/bin/bash
# kubejoin deb after-install: electron-builder's default after-install (the desktop app in
# /usr/bin, the chrome-sandbox mode, the MIME and desktop databases, the AppArmor profile),
# plus the CLI in /usr/bin and the kubejoin-join and kubejoin-agent systemd units (the same
# files the edge packages ship, build/packages/systemd/).
#
# electron-builder fills in ${executable} and ${sanitizedProductName}; for that reason this
# script writes its own variables as $name, never with braces.

APP_DIR='/opt/${sanitizedProductName}'
RESOURCES="$APP_DIR/resources"

# ---- electron-builder's default (templates/linux/after-install.tpl) ----

if type update-alternatives >/dev/null 2>&1; then
    # Remove previous link if it doesn't use update-alternatives
    if [ -L '/usr/bin/${executable}' -a -e '/usr/bin/${executable}' -a "`readlink '/usr/bin/${executable}'`" != '/etc/alternatives/${executable}' ]; then
        rm -f '/usr/bin/${executable}'
    fi
    update-alternatives --install '/usr/bin/${executable}' '${executable}' "$APP_DIR/${executable}" 100 || ln -sf "$APP_DIR/${executable}" '/usr/bin/${executable}'
else
    ln -sf "$APP_DIR/${executable}" '/usr/bin/${executable}'
fi

# Check if user namespaces are supported by the kernel and working with a quick test:
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    # Use SUID chrome-sandbox only on systems without user namespaces:
    chmod 4755 "$APP_DIR/chrome-sandbox" || true
else
    chmod 0755 "$APP_DIR/chrome-sandbox" || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

# AppArmor profile (Ubuntu 24+), only where the running AppArmor accepts it.
if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE="$RESOURCES/apparmor-profile"
  APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  else
    echo "Skipping the installation of the AppArmor profile as this version of AppArmor does not seem to support the bundled profile"
  fi
fi

# ---- kubejoin: the CLI and the systemd units ----

chmod 0755 "$RESOURCES/bin/kubejoin" || true
ln -sf "$RESOURCES/bin/kubejoin" /usr/bin/kubejoin

# The provisioning directory: root writes it, the kiosk's user (add it to group kubejoin)
# reads it, nobody else can (docs/kiosk.md). Files in it must be 0640 or 0600: the kiosk
# refuses a provisioning or token file that other users can read.
if ! getent group kubejoin >/dev/null 2>&1; then
    groupadd --system kubejoin 2>/dev/null || addgroup --system kubejoin 2>/dev/null || true
fi
install -d -m 0750 -o root -g root /etc/kubejoin
chgrp kubejoin /etc/kubejoin 2>/dev/null || true
chmod 0750 /etc/kubejoin
# The join unit (build/packages/systemd/, the edge packages' own) takes the token from
# /etc/kubejoin/join-token and sees a read-only system except these two directories, which
# must exist for it to start (as the edge packages' postinstall makes them).
[ -d /etc/kubernetes ] || install -d -m 0755 /etc/kubernetes
[ -d /var/lib/kubelet ] || install -d -m 0700 /var/lib/kubelet
if [ -f /etc/kubejoin/join.yaml ] && [ ! -f /etc/kubejoin/join-token ] && [ ! -e /etc/kubernetes/kubelet.conf ]; then
    echo "kubejoin: kubejoin-join.service reads the token from /etc/kubejoin/join-token (mode 0600), which is missing: put the token there, alone" >&2
fi

UNIT=kubejoin-join.service
install -m 0644 "$RESOURCES/systemd/$UNIT" "/lib/systemd/system/$UNIT"
if [ -d /run/systemd/system ] && hash systemctl 2>/dev/null; then
    systemctl daemon-reload || true
    # Enabled at boot; it runs only while /etc/kubejoin/join.yaml exists and
    # /etc/kubernetes/kubelet.conf does not (ConditionPathExists).
    systemctl enable "$UNIT" || true
elif hash systemctl 2>/dev/null; then
    # No running systemd (a chroot or image build): enable offline.
    systemctl --no-reload enable "$UNIT" 2>/dev/null || true
fi

# The rotation agent: keeps the joined credential fresh; runs only once a join wrote
# /etc/kubernetes/kubelet.conf (ConditionPathExists).
UNIT=kubejoin-agent.service
install -m 0644 "$RESOURCES/systemd/$UNIT" "/lib/systemd/system/$UNIT"
if [ -d /run/systemd/system ] && hash systemctl 2>/dev/null; then
    systemctl daemon-reload || true
    systemctl enable "$UNIT" || true
    # Already joined (e.g. an upgrade): keep the credential fresh from now on.
    if [ -e /etc/kubernetes/kubelet.conf ]; then systemctl restart "$UNIT" || true; fi
elif hash systemctl 2>/dev/null; then
    systemctl --no-reload enable "$UNIT" 2>/dev/null || true
fi
