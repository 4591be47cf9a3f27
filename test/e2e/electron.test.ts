// The real Electron app through Playwright's _electron: the built app (dist/, as packaged
// into the asar) with the real preload, IPC, agent and local control plane. Runs wherever
// the Electron binary exists; elsewhere it prints a SKIP line with the reason.
//
// Note: the packaged app (release/) cannot be driven this way on purpose: its
// EnableNodeCliInspectArguments fuse is off, and _electron attaches through --inspect.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { testCluster } from '../harness/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);

/** The Electron binary, or why there is none. */
function electronBinary(): { path: string } | { skip: string } {
  const pkg = dirname(require.resolve('electron/package.json'));
  if (!existsSync(join(pkg, 'path.txt'))) {
    return {
      skip: `the Electron binary is not installed (${join(pkg, 'dist')} is missing: this machine installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1); where downloads work, run "node node_modules/electron/install.js"`,
    };
  }
  const path = require('electron') as string;
  if (!existsSync(path)) return { skip: `the Electron binary is missing at ${path}` };
  if (!existsSync(join(root, 'dist/main/main.cjs')) || !existsSync(join(root, 'dist/renderer/app.js'))) {
    return { skip: 'the app is not built: run "npm run build" first' };
  }
  return { path };
}

const binary = electronBinary();
const skip = (t: TestContext): boolean => {
  if ('skip' in binary) {
    t.skip(`SKIP: ${binary.skip}`);
    return true;
  }
  return false;
};

let work: string;

async function launch(args: string[] = []): Promise<{ app: ElectronApplication; page: Page }> {
  if (!('path' in binary)) throw new Error('no Electron binary');
  const headless = process.platform === 'linux' && !process.env.DISPLAY ? ['--ozone-platform=headless'] : [];
  const app = await electron.launch({
    executablePath: binary.path,
    args: [...headless, root, ...args],
    // Playwright drives the app through --inspect/--remote-debugging-port, which a kiosk refuses
    // unless KUBEJOIN_ALLOW_DEBUGGING=1 (honoured only by an unpackaged app).
    env: { ...process.env, KUBEJOIN_PROVISION: join(work, 'absent-provision.yaml'), KUBEJOIN_ALLOW_DEBUGGING: '1' },
  });
  const page = await app.firstWindow();
  await page.waitForLoadState('domcontentloaded');
  return { app, page };
}

describe('Electron app', () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kj-e2e-electron-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('loads our page with the secure preferences and only the derived bridge', async (t) => {
    if (skip(t)) return;
    const { app, page } = await launch();
    try {
      assert.equal(page.url(), 'kubejoin://app/index.html');
      // (The preferences themselves are checked by the unit tests; here, their effect.)
      const page_ = await page.evaluate(() => ({
        bridge: Object.fromEntries(Object.entries(window.kubejoin).map(([g, v]) => [g, Object.keys(v).sort()])),
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
      }));
      assert.deepEqual(page_.bridge, {
        join: ['cancel', 'getState', 'listenUpdate', 'start'],
        device: ['getFacts'],
        command: ['parse'],
        kiosk: ['getState', 'listenState'],
      });
      assert.equal(page_.require, 'undefined');
      assert.equal(page_.process, 'undefined');
      // Navigation is denied: the page stays ours.
      await page.evaluate(() => void (window.location.href = 'https://example.com/'));
      await page.waitForTimeout(500);
      assert.equal(page.url(), 'kubejoin://app/index.html');
      // A bad argument is refused by main.
      const refused = await page.evaluate(() =>
        window.kubejoin.join.start({ certDir: '/etc' } as never).then(
          () => 'accepted',
          (e: Error) => e.message,
        ),
      );
      assert.match(refused, /may not set: "certDir"/);
    } finally {
      await app.close();
    }
  });

  it('joins the real local control plane', async (t) => {
    if (skip(t)) return;
    const cluster = await testCluster();
    const token = await cluster.signedToken();
    const { app, page } = await launch();
    try {
      await page.locator('#endpoint').fill(cluster.endpoint);
      await page.locator('#token').fill(token);
      await page.locator('#pins').fill(cluster.caCertHash);
      await page.locator('#node-name').fill(`e2e-electron-${token.slice(0, 6)}`);
      await page.locator('#store').selectOption('file');
      await page.locator('#join').click();
      await page.locator('#success, #failure').first().waitFor({ timeout: 60_000 });
      // As a normal user the default file store may not be writable: then the failure must say so.
      const ok = await page.locator('#success').isVisible();
      if (!ok) assert.match(await page.locator('#failure-category').innerText(), /store-failed/);
      assert.ok(!(await page.locator('body').innerText()).includes(token.split('.')[1]!));
    } finally {
      await app.close();
    }
  });

  it('kiosk: full screen, and a malformed provisioning file shows what is wrong', async (t) => {
    if (skip(t)) return;
    const file = join(work, 'provision.yaml');
    await writeFile(file, 'endpoint: 10.0.0.1:6443\ntokn: x\n', { mode: 0o600 });
    const { app, page } = await launch(['--provision', file]);
    try {
      await page.locator('#kiosk-problems li').first().waitFor();
      const problems = await page.locator('#kiosk-problems').innerText();
      assert.match(problems, /unknown key "tokn"/);
      assert.equal(await page.locator('#entry').isVisible(), false);
      const state = await app.evaluate(({ BrowserWindow }) => {
        const w = BrowserWindow.getAllWindows()[0]!;
        w.webContents.openDevTools();
        return { kiosk: w.isKiosk(), closable: w.isClosable(), devTools: w.webContents.isDevToolsOpened() };
      });
      assert.deepEqual(state, { kiosk: true, closable: false, devTools: false });
    } finally {
      await app.close();
    }
  });

  it('the app as its own CLI: --kubejoin-cli runs a command with no window, keytar in a utilityProcess', async (t) => {
    if (skip(t) || !('path' in binary)) return;
    const headless = process.platform === 'linux' && !process.env.DISPLAY ? ['--ozone-platform=headless'] : [];
    const cli = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) =>
        execFile(binary.path, [...headless, root, '--kubejoin-cli', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const version = await cli(['--version'], process.env);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^kubejoin \d+\.\d+\.\d+/);
    // No credential stored for this node: the keychain, asked through the utility process, has
    // none (or no keyring is reachable), and the CLI says so with exit 7; the app does not crash.
    const none = await cli(['credential', '--server', 'https://127.0.0.1:1', '--node-name', 'no-such-node'], {
      ...process.env,
      KUBEJOIN_KEYCHAIN_SERVICE: 'kubejoin-e2e-none',
    });
    assert.equal(none.code, 7, none.stderr);
    assert.match(none.stderr, /no-such-node/);
  });
});
