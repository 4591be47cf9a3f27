import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineState, overlaySkipReason, runInOverlays } from '../helpers/overlays.js';
import { DEB_X64, RPM_X64, VERSION, reportMissingPackages, skipReason } from '../helpers/packages.js';

// The edge packages installed for real, by dpkg and by rpm, with their maintainer scripts
// (build/packages/scripts/), in a private mount namespace whose /etc, /usr, /var/lib and /run are
// overlays: the install, a reinstall (upgrade) and the removal all land in the test's upper
// directories, and this machine is left as it was.

reportMissingPackages('packages-install');
const skip = skipReason || overlaySkipReason(['dpkg', 'rpm', 'systemctl']) || false;
const DIRS = ['/etc', '/usr', '/var/lib', '/run'];
const TOUCHED = ['/etc/kubejoin', '/usr/bin/kubejoin', '/usr/lib/kubejoin', '/var/lib/kubelet'];

// $1: the package; $2: deb or rpm.
const SCRIPT = String.raw`PKG=$1; KIND=$2
install() { if [ "$KIND" = deb ]; then dpkg -i "$PKG"; else rpm -U --replacepkgs --nodeps "$PKG"; fi; }
remove() { if [ "$KIND" = deb ]; then dpkg --purge kubejoin; else rpm -e --nodeps kubejoin; fi; }
state() {
  echo "$1.version=$(/usr/bin/kubejoin --version 2>&1)"
  echo "$1.addon=$(ls /usr/lib/kubejoin 2>&1)"
  echo "$1.doc=$(ls /usr/share/doc/kubejoin 2>&1)"
  echo "$1.etc_kubejoin=$(stat -c '%U:%G %a' /etc/kubejoin 2>&1)"
  echo "$1.token=$(stat -c '%a' /etc/kubejoin/join-token 2>&1)"
  echo "$1.kubelet=$(stat -c '%a' /var/lib/kubelet 2>&1)"
  echo "$1.units=$(ls /usr/lib/systemd/system | grep '^kubejoin' | tr '\n' ' ')"
  echo "$1.wants=$(ls /etc/systemd/system/multi-user.target.wants 2>/dev/null | grep '^kubejoin' | tr '\n' ' ')"
}
rm -rf /run/systemd/system
install > "$W/install.log" 2>&1; echo "install.rc=$?"
state install
# The operator's files: a token left too open is closed by the upgrade; both survive removal.
echo 'endpoint: 10.0.0.1:6443' > /etc/kubejoin/join.yaml; echo t > /etc/kubejoin/join-token; chmod 0644 /etc/kubejoin/join-token
install > "$W/upgrade.log" 2>&1; echo "upgrade.rc=$?"
state upgrade
remove > "$W/remove.log" 2>&1; echo "remove.rc=$?"
state remove
echo "remove.operator=$(ls /etc/kubejoin 2>&1 | tr '\n' ' ')"
`;

for (const [kind, pkg] of [
  ['deb', DEB_X64],
  ['rpm', RPM_X64],
] as const) {
  describe(`edge packages: the x64 ${kind} installed, upgraded and removed for real (overlays, machine untouched)`, { skip }, () => {
    let out: Map<string, string>;
    let dir: string;
    let machineBefore: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `kubejoin-${kind}-install-`));
      machineBefore = await machineState(TOUCHED);
      out = await runInOverlays(dir, DIRS, SCRIPT, [pkg, kind]);
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('valid: install: the executable runs from /usr/bin with no Node.js package, its addon in /usr/lib/kubejoin, both units enabled', () => {
      assert.equal(out.get('install.rc'), '0');
      assert.equal(out.get('install.version'), `kubejoin ${VERSION}`);
      assert.equal(out.get('install.addon'), 'keytar.node');
      assert.equal(out.get('install.etc_kubejoin'), 'root:root 750');
      assert.equal(out.get('install.kubelet'), '700');
      assert.equal(out.get('install.units'), 'kubejoin-agent.service kubejoin-approver.service kubejoin-join.service ');
      assert.equal(out.get('install.wants'), 'kubejoin-agent.service kubejoin-join.service ');
    });

    it('valid: upgrade: installs over itself, closes a token file left 0644, keeps the units enabled', () => {
      assert.equal(out.get('upgrade.rc'), '0');
      assert.equal(out.get('upgrade.token'), '600');
      assert.equal(out.get('upgrade.etc_kubejoin'), 'root:root 750');
      assert.equal(out.get('upgrade.wants'), out.get('install.wants'));
    });

    it("valid: removal: executable, addon and its directory, docs, units and enablement gone; the operator's join.yaml and token kept", () => {
      assert.equal(out.get('remove.rc'), '0');
      assert.match(out.get('remove.version')!, /No such file or directory|not found/);
      assert.match(out.get('remove.addon')!, /No such file or directory/);
      assert.match(out.get('remove.doc')!, /No such file or directory/);
      assert.equal(out.get('remove.units'), '');
      assert.equal(out.get('remove.wants'), '');
      assert.equal(out.get('remove.operator')?.trim(), 'join-token join.yaml');
    });

    it('valid: this machine is untouched', async () => {
      assert.equal(await machineState(TOUCHED), machineBefore);
    });
  });
}
