import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ensureBuilt } from '../helpers/cli.js';
import { machineState, overlaySkipReason, runInOverlays } from '../helpers/overlays.js';
import { VERSION, nodeExecutables } from '../helpers/packages.js';

// The desktop deb's maintainer scripts (build/linux/after-install.sh, after-remove.sh), run
// for real as root, the way dpkg runs them, inside a private mount namespace whose /etc,
// /usr/bin, /usr/sbin, /usr/lib/systemd/system, /var/lib and /opt are overlays: every
// change lands in the test's upper directories and this machine is left as it was. The app
// under /opt/kubejoin is the layout electron-builder.yml produces, with the real CLI bundle
// and launcher, and a stub for the Electron binary (which cannot be downloaded here).

const skip = overlaySkipReason(['setpriv', 'useradd', 'systemctl']) || false;

/** electron-builder fills in its template variables; ours are written $name, never with braces. */
async function render(script: string): Promise<string> {
  const text = (await readFile(join(ROOT, script), 'utf8')).replaceAll('${executable}', 'kubejoin-desktop').replaceAll('${sanitizedProductName}', 'kubejoin');
  assert.doesNotMatch(text, /\$\{/, `${script}: a template variable electron-builder would not fill in`);
  return text;
}

// Runs in the namespace ($W: the work directory with the scripts), $1 the repository, $2 the
// Node.js binaries (colon-separated).
const NAMESPACE = String.raw`R=$1; NODES=$2
# What the deb unpacks (electron-builder.yml: extraResources), before dpkg runs after-install.
A=/opt/kubejoin; mkdir -p $A/resources/bin $A/resources/systemd $A/resources/cli
install -m 0644 "$R/build/linux/kubejoin" $A/resources/bin/kubejoin
cp "$R"/build/packages/systemd/kubejoin-join.service "$R"/build/packages/systemd/kubejoin-agent.service $A/resources/systemd/
cp -r "$R/dist/cli.mjs" "$R/dist/chunks" $A/resources/cli/
printf '#!/bin/sh\necho "desktop $*"\n' > $A/kubejoin-desktop; chmod 0755 $A/kubejoin-desktop; : > $A/chrome-sandbox
state() {
  echo "$1.etc_kubejoin=$(stat -c '%U:%G %a' /etc/kubejoin 2>&1)"
  echo "$1.group=$(getent group kubejoin | cut -d: -f1)"
  echo "$1.cli_link=$(readlink /usr/bin/kubejoin)"
  echo "$1.cli_version=$(/usr/bin/kubejoin --version 2>&1)"
  echo "$1.desktop=$(readlink -f /usr/bin/kubejoin-desktop 2>&1)"
  echo "$1.units=$(ls /usr/lib/systemd/system | grep '^kubejoin' | tr '\n' ' ')"
  echo "$1.wants=$(ls /etc/systemd/system/multi-user.target.wants 2>/dev/null | grep '^kubejoin' | tr '\n' ' ')"
  echo "$1.same_units=$(cd "$R/build/packages/systemd" && for u in *.service; do cmp -s "$u" "/usr/lib/systemd/system/$u" && printf '%s ' "$u"; done)"
  echo "$1.unit_dirs=$(stat -c '%n %a' /etc/kubernetes /var/lib/kubelet 2>&1 | tr '\n' ' ')"
}
bash "$W/after-install.sh" > "$W/install.log" 2>&1; echo "install.rc=$?"
echo "install.token_warning=$(grep -c 'reads the token from /etc/kubejoin/join-token' "$W/install.log")"
state install
# No Node.js at all (each binary hidden under /dev/null): the launcher hands the command to the app.
for f in $(echo "$NODES" | tr : ' '); do mount --bind /dev/null "$f"; done
echo "nonode.node=$(node -e 0 >/dev/null 2>&1 && echo runs || echo hidden)"
echo "nonode.cli=$(/usr/bin/kubejoin --version 2>&1)"
for f in $(echo "$NODES" | tr : ' '); do umount "$f"; done
# The kiosk's user, in group kubejoin, reads a provisioning file root wrote 0640; others can't.
useradd --no-create-home kiosk && usermod -aG kubejoin kiosk && useradd --no-create-home other
echo 'endpoint: 10.0.0.1:6443' > /etc/kubejoin/join.yaml; chown root:kubejoin /etc/kubejoin/join.yaml; chmod 0640 /etc/kubejoin/join.yaml
echo "kiosk.read=$(setpriv --reuid kiosk --regid kiosk --init-groups cat /etc/kubejoin/join.yaml 2>&1)"
echo "other.read=$(setpriv --reuid other --regid other --init-groups cat /etc/kubejoin/join.yaml 2>&1)"
echo "other.list=$(setpriv --reuid other --regid other --init-groups ls /etc/kubejoin 2>&1)"
# An upgrade over a directory someone opened up: the script runs again and closes it.
chmod 0755 /etc/kubejoin
bash "$W/after-install.sh" > "$W/upgrade.log" 2>&1; echo "upgrade.rc=$?"
echo "upgrade.token_warning=$(grep -c 'reads the token from /etc/kubejoin/join-token' "$W/upgrade.log")"
state upgrade
echo "upgrade.provisioning=$(cat /etc/kubejoin/join.yaml)"
bash "$W/after-remove.sh" > "$W/remove.log" 2>&1; echo "remove.rc=$?"
state remove
`;

const DIRS = ['/etc', '/usr/bin', '/usr/sbin', '/usr/lib/systemd/system', '/var/lib', '/opt'];
const TOUCHED = ['/etc/kubejoin', '/etc/kubernetes', '/var/lib/kubelet', '/usr/bin/kubejoin', '/usr/bin/kubejoin-desktop'];

async function runScripts(dir: string): Promise<Map<string, string>> {
  await writeFile(join(dir, 'after-install.sh'), await render('build/linux/after-install.sh'));
  await writeFile(join(dir, 'after-remove.sh'), await render('build/linux/after-remove.sh'));
  return runInOverlays(dir, DIRS, NAMESPACE, [ROOT, nodeExecutables().join(':')]);
}

describe('desktop deb: after-install and after-remove run as dpkg would (overlays, machine untouched)', { skip }, () => {
  let out: Map<string, string>;
  let dir: string;
  const machine = (): Promise<string> => machineState(TOUCHED);
  let machineBefore: string;
  before(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'kubejoin-deb-scripts-'));
    machineBefore = await machine();
    out = await runScripts(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('valid: install: the CLI in /usr/bin runs, /etc/kubejoin is root:kubejoin 0750, both units enabled', () => {
    assert.equal(out.get('install.rc'), '0');
    assert.equal(out.get('install.etc_kubejoin'), 'root:kubejoin 750');
    assert.equal(out.get('install.group'), 'kubejoin');
    assert.equal(out.get('install.cli_link'), '/opt/kubejoin/resources/bin/kubejoin');
    assert.equal(out.get('install.cli_version'), `kubejoin ${VERSION}`);
    assert.equal(out.get('install.desktop'), '/opt/kubejoin/kubejoin-desktop');
    assert.equal(out.get('install.units'), 'kubejoin-agent.service kubejoin-join.service ');
    assert.equal(out.get('install.wants'), 'kubejoin-agent.service kubejoin-join.service ');
  });

  it("valid: the installed units are the edge packages' own, byte for byte, and the join unit's writable directories exist", () => {
    assert.equal(out.get('install.same_units'), 'kubejoin-agent.service kubejoin-join.service ');
    assert.equal(out.get('install.unit_dirs'), '/etc/kubernetes 755 /var/lib/kubelet 700 ');
    assert.equal(out.get('install.token_warning'), '0', 'no join.yaml yet: nothing to point out');
  });

  it('valid: with no Node.js on the machine, the CLI launcher runs the command through the app (--kubejoin-cli)', () => {
    assert.equal(out.get('nonode.node'), 'hidden');
    assert.equal(out.get('nonode.cli'), 'desktop --kubejoin-cli --version');
  });

  it("valid: the kiosk's user (group kubejoin) reads the provisioning file; another user can neither read nor list", () => {
    assert.equal(out.get('kiosk.read'), 'endpoint: 10.0.0.1:6443');
    assert.match(out.get('other.read')!, /Permission denied/);
    assert.match(out.get('other.list')!, /Permission denied/);
  });

  it("valid: upgrade: runs again cleanly, closes a directory opened to others, keeps the operator's files", () => {
    assert.equal(out.get('upgrade.rc'), '0');
    assert.equal(out.get('upgrade.etc_kubejoin'), 'root:kubejoin 750');
    assert.equal(out.get('upgrade.units'), out.get('install.units'));
    assert.equal(out.get('upgrade.provisioning'), 'endpoint: 10.0.0.1:6443');
    assert.equal(out.get('upgrade.token_warning'), '1', 'a join.yaml without /etc/kubejoin/join-token is pointed out');
  });

  it("valid: remove: CLI link, units and their enablement gone; /etc/kubejoin (the operator's) kept", () => {
    assert.equal(out.get('remove.rc'), '0');
    assert.equal(out.get('remove.cli_link'), '');
    assert.equal(out.get('remove.units'), '');
    assert.equal(out.get('remove.wants'), '');
    assert.equal(out.get('remove.etc_kubejoin'), 'root:kubejoin 750');
  });

  it('valid: this machine is untouched: everything landed in the overlays', async () => {
    assert.equal(await machine(), machineBefore);
    assert.ok(existsSync(join(dir, 'up_etc/kubejoin')), 'the scripts wrote into the /etc overlay');
  });
});
