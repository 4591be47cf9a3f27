#!/bin/bash
# kubejoin deb after-remove: electron-builder's default after-remove, plus removing the CLI
# link and the kubejoin-join and kubejoin-agent units. (electron-builder fills in ${executable} and
# ${sanitizedProductName}: our own variables are written $name, never with braces.)

APP_DIR='/opt/${sanitizedProductName}'

# ---- kubejoin: the headless join unit and the CLI ----

for UNIT in kubejoin-agent.service kubejoin-join.service; do
    if [ -d /run/systemd/system ] && hash systemctl 2>/dev/null; then
        systemctl stop "$UNIT" 2>/dev/null || true
    fi
    if hash systemctl 2>/dev/null; then
        systemctl --no-reload disable "$UNIT" 2>/dev/null || true
    fi
    rm -f "/lib/systemd/system/$UNIT"
done
if [ -d /run/systemd/system ] && hash systemctl 2>/dev/null; then
    systemctl daemon-reload || true
fi
if [ "$(readlink /usr/bin/kubejoin)" = "$APP_DIR/resources/bin/kubejoin" ]; then
    rm -f /usr/bin/kubejoin
fi
# /etc/kubejoin (provisioning and join configs, possibly tokens) is the operator's: kept.

# ---- electron-builder's default (templates/linux/after-remove.tpl) ----

if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' "$APP_DIR/${executable}"
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi
