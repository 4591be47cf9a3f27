// electron-builder.yml: electron-builder's own schema check (offline), the targets, the
// production fuses, what ships and what never does, and the Linux scripts it references (the
// systemd units it ships: systemd-units.test.ts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT } from '../../helpers/paths.js';

const root = ROOT;
const require = createRequire(import.meta.url);
const builderDir = dirname(require.resolve('app-builder-lib/package.json'));
const builderRequire = createRequire(`${builderDir}/package.json`);

interface FileSet {
  from: string;
  to: string;
  filter?: string[];
}
interface BuilderConfig {
  asar: boolean;
  executableName: string;
  files: string[];
  extraResources: FileSet[];
  electronFuses: Record<string, boolean>;
  linux: { target: string[] };
  deb: { afterInstall: string; afterRemove: string; depends: string[] };
  win: { target: string[] };
  mac: { target: string[] };
  directories: { buildResources: string };
}

const text = await readFile(`${root}electron-builder.yml`, 'utf8');
const config = parse(text) as BuilderConfig;

/** electron-builder's file patterns: the last pattern that matches decides. */
function ships(path: string): boolean {
  const { minimatch } = builderRequire('minimatch') as { minimatch: (p: string, pattern: string, o: { dot: boolean }) => boolean };
  let included = false;
  for (const pattern of config.files) {
    const negated = pattern.startsWith('!');
    if (minimatch(path, negated ? pattern.slice(1) : pattern, { dot: true })) included = !negated;
  }
  return included;
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema", async () => {
    const { validateConfiguration } = builderRequire(`${builderDir}/out/util/config/config.js`) as {
      validateConfiguration(c: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = builderRequire('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await validateConfiguration(structuredClone(config), new DebugLogger(false));
    await assert.rejects(
      validateConfiguration({ ...structuredClone(config), electronFuses: { runAsNode: 'no' } }, new DebugLogger(false)),
      /Invalid configuration/,
    );
  });

  it('targets deb, nsis and dmg, in an asar', () => {
    assert.deepEqual(config.linux.target, ['deb']);
    assert.deepEqual(config.win.target, ['nsis']);
    assert.deepEqual(config.mac.target, ['dmg']);
    assert.equal(config.asar, true);
  });

  it('sets the production fuses', () => {
    const f = config.electronFuses;
    assert.equal(f.runAsNode, false);
    assert.equal(f.enableNodeOptionsEnvironmentVariable, false);
    assert.equal(f.enableNodeCliInspectArguments, false);
    assert.equal(f.enableEmbeddedAsarIntegrityValidation, true);
    assert.equal(f.onlyLoadAppFromAsar, true);
    assert.equal(f.enableCookieEncryption, true);
    assert.equal(f.grantFileProtocolExtraPrivileges, false);
  });

  const shipping: [string, boolean][] = [
    ['package.json', true],
    ['dist/main/main.cjs', true],
    ['dist/main/preload.cjs', true],
    ['dist/renderer/index.html', true],
    ['dist/renderer/app.js', true],
    ['dist/renderer/style.css', true],
    ['dist/main/main.cjs.map', false],
    ['main/main.ts', false],
    ['renderer/index.ts', false],
    ['agent/join.ts', false],
    ['agent/contract/ipc.ts', false],
    ['test/unit/main/ipc.test.ts', false],
    ['test/e2e/renderer.test.ts', false],
    ['build/icon.png', false],
    ['tsconfig.json', false],
    ['eslint.config.js', false],
    ['electron-builder.yml', false],
  ];
  for (const [path, expected] of shipping) {
    it(`${expected ? 'ships' : 'does not ship'} ${path}`, () => assert.equal(ships(path), expected));
  }

  it("ships the CLI with its chunks, its launcher, and the edge packages' systemd units and join.yaml example as resources", async () => {
    const res = new Map(config.extraResources.map((r) => [r.to, r.from]));
    assert.equal(res.get('cli/cli.mjs'), 'dist/cli.mjs');
    assert.equal(res.get('cli/chunks'), 'dist/chunks');
    assert.equal(res.get('bin/kubejoin'), 'build/linux/kubejoin');
    assert.equal(res.get('systemd/kubejoin-join.service'), 'build/packages/systemd/kubejoin-join.service');
    assert.equal(res.get('systemd/kubejoin-agent.service'), 'build/packages/systemd/kubejoin-agent.service');
    assert.equal(res.get('doc/join.yaml.example'), 'build/packages/join.yaml.example');
    for (const from of res.values()) if (from.startsWith('build/')) await access(`${root}${from}`);
    await access(`${root}build/linux/kubejoin`, constants.X_OK);
    const launcher = await readFile(`${root}build/linux/kubejoin`, 'utf8');
    assert.match(launcher, /exec node "\$here\/\.\.\/cli\/cli\.mjs" "\$@"/);
  });

  it('the desktop executable does not take the CLI name', () => {
    assert.equal(config.executableName, 'kubejoin-desktop');
  });

  it('has an icon electron-builder can convert (PNG, at least 512x512)', async () => {
    const png = await readFile(`${root}${config.directories.buildResources}/icon.png`);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    assert.ok(w >= 512 && h >= 512, `${w}x${h}`);
  });

  it('keeps electron-builder default deb dependencies and adds Node.js for the CLI', () => {
    for (const d of ['libgtk-3-0', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libsecret-1-0']) assert.ok(config.deb.depends.includes(d), d);
    assert.ok(config.deb.depends.some((d) => /^nodejs \(>= 20\)$/.test(d)));
  });
});

describe('deb scripts', () => {
  const scripts = (): [string, string][] => [
    ['afterInstall', config.deb.afterInstall],
    ['afterRemove', config.deb.afterRemove],
  ];

  it('exist, are executable bash, and parse', async () => {
    for (const [, path] of scripts()) {
      await access(`${root}${path}`, constants.X_OK);
      assert.match(await readFile(`${root}${path}`, 'utf8'), /^#!\/bin\/bash\n/);
      await promisify(execFile)('bash', ['-n', `${root}${path}`]);
    }
  });

  it('use only the macros electron-builder defines (it throws on any other ${name})', async () => {
    for (const [, path] of scripts()) {
      const macros = [...(await readFile(`${root}${path}`, 'utf8')).matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]);
      for (const m of macros) assert.ok(['executable', 'sanitizedProductName', 'productFilename'].includes(m!), `${path}: \${${m}}`);
    }
  });

  it("after-install does what electron-builder's default does, and installs the unit and the CLI", async () => {
    const s = await readFile(`${root}${config.deb.afterInstall}`, 'utf8');
    const defaults = await readFile(`${builderDir}/templates/linux/after-install.tpl`, 'utf8');
    for (const step of [
      'update-alternatives --install',
      'chmod 4755',
      'chmod 0755',
      'update-mime-database',
      'update-desktop-database',
      'apparmor_parser --replace',
    ]) {
      assert.ok(defaults.includes(step), `the default template still does "${step}"`);
      assert.ok(s.includes(step), `after-install does "${step}"`);
    }
    assert.match(s, /install -m 0644 "\$RESOURCES\/systemd\/\$UNIT" "\/lib\/systemd\/system\/\$UNIT"/);
    assert.match(s, /UNIT=kubejoin-join\.service/);
    assert.match(s, /systemctl daemon-reload/);
    assert.match(s, /systemctl enable "\$UNIT"/);
    assert.match(s, /ln -sf "\$RESOURCES\/bin\/kubejoin" \/usr\/bin\/kubejoin/);
  });

  it('creates /etc/kubejoin as root:kubejoin 0750: the kiosk user (group kubejoin) reads it, others cannot', async () => {
    const s = await readFile(`${root}${config.deb.afterInstall}`, 'utf8');
    assert.match(s, /getent group kubejoin .*\n\s+groupadd --system kubejoin/);
    assert.match(s, /install -d -m 0750 -o root -g root \/etc\/kubejoin\nchgrp kubejoin \/etc\/kubejoin/);
    assert.match(s, /chmod 0750 \/etc\/kubejoin/);
    assert.doesNotMatch(s, /chmod 0700 \/etc\/kubejoin/);
  });

  it('after-remove undoes it', async () => {
    const s = await readFile(`${root}${config.deb.afterRemove}`, 'utf8');
    for (const step of [
      'update-alternatives --remove',
      'apparmor_parser --remove',
      'disable "$UNIT"',
      'rm -f "/lib/systemd/system/$UNIT"',
      'rm -f /usr/bin/kubejoin',
    ]) {
      assert.ok(s.includes(step), `after-remove does "${step}"`);
    }
  });
});
