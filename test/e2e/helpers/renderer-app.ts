// The renderer's test app for the e2e tests: the built renderer served over loopback in
// Debian's Chromium through playwright-core, its preload bridge replaced by a test bridge
// over main's real IPC handlers (main/app.ts with the Electron API faked), wired to the
// REAL agent join() against the REAL local control plane from test/harness.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getDeviceFacts, join, parseJoinCommand } from '../../../agent/index.js';
import { startApp } from '../../../main/app.js';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { RENDERER_HASH_FILE, rendererHash, SCREENSHOT_DIR } from '../../helpers/renderer-hash.js';
import { eventFrom, fakeElectron } from '../../helpers/fake-electron.js';
import { buildRenderer, buildTestBridge, rendererDir, root } from './build-renderer.js';
import { serveDir } from './static-server.js';

const CHROMIUM = '/usr/bin/chromium';
// Screenshots go to test/out/screenshots (ignored); KUBEJOIN_UPDATE_SCREENSHOTS=1 refreshes
// the committed copies the README shows, in docs/screenshots, with the hash of the renderer they
// show (test/helpers/renderer-hash.ts; test/unit/renderer/screenshots.test.ts checks it).
export const UPDATE_SCREENSHOTS = process.env.KUBEJOIN_UPDATE_SCREENSHOTS === '1';
export const SHOTS = UPDATE_SCREENSHOTS ? SCREENSHOT_DIR : `${root}test/out/screenshots`;
mkdirSync(SHOTS, { recursive: true });

/** After a run that refreshed the committed screenshots: record the renderer they show. */
export async function recordRendererHash(): Promise<void> {
  if (UPDATE_SCREENSHOTS) await writeFile(RENDERER_HASH_FILE, `${await rendererHash()}\n`);
}

/** Why the e2e tests cannot run here, or undefined. */
export const skipReason = await stat(CHROMIUM).then(
  () => undefined,
  () => `${CHROMIUM} is not installed`,
);

export interface Opened {
  page: Page;
  logs: string[];
}

export interface RendererApp {
  cluster: ClusterHandle;
  /** A temporary directory for this run (each app's files under its name). */
  workDir: string;
  /** A page running the built renderer against main's handlers and the real engine. */
  open(name: string, colorScheme?: 'light' | 'dark', argv?: string[]): Promise<Opened>;
  close(): Promise<void>;
}

/** Builds the renderer and the test bridge, serves them, starts Chromium and gets the shared cluster. */
export async function startRendererApp(): Promise<RendererApp> {
  const workDir = await mkdtemp(joinPath(tmpdir(), 'kj-e2e-renderer-'));
  let server: { url: string; close(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  const stoppers: (() => void)[] = [];
  async function close(): Promise<void> {
    for (const stop of stoppers) stop();
    await browser?.close();
    await server?.close();
    await rm(workDir, { recursive: true, force: true });
  }
  let bridge: string;
  let cluster: ClusterHandle;
  try {
    await buildRenderer();
    bridge = await buildTestBridge();
    server = await serveDir(rendererDir);
    [browser, cluster] = await Promise.all([
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      }),
      testCluster(),
    ]);
  } catch (err) {
    await close();
    throw err;
  }
  const launched = browser;
  const url = server.url;

  async function open(name: string, colorScheme: 'light' | 'dark' = 'light', argv: string[] = ['kubejoin']): Promise<Opened> {
    const logs: string[] = [];
    const electron = fakeElectron();
    const dir = joinPath(workDir, name);
    const app = startApp(
      electron,
      { join, parseJoinCommand, getDeviceFacts },
      {
        argv,
        rendererDir,
        preloadPath: '(test bridge)',
        platform: 'linux',
        env: { KUBEJOIN_PROVISION: joinPath(workDir, 'no-provision.yaml') },
        fileExists: () => false,
        log: (line) => logs.push(line),
        joinDefaults: { certDir: joinPath(dir, 'pki'), kubeconfigOut: joinPath(dir, 'kubelet.conf') },
      },
    );
    await app.ready;
    const win = electron.windows[0]!;
    const page = await launched.newPage({ viewport: { width: 1100, height: 900 }, colorScheme });
    // main → page, in order.
    let delivery: Promise<unknown> = Promise.resolve();
    win.webContents.onSend = (channel, value) => {
      delivery = delivery.then(() => page.evaluate(([c, v]) => window.__kubejoinDeliver(c, v), [channel, value] as const).catch(() => {}));
    };
    // page → main: through the real handlers, as our window's main frame.
    await page.exposeFunction('__kubejoinInvoke', (channel: string, arg: unknown) =>
      electron.ipcMain.invoke(channel, eventFrom(win.webContents), ...(arg === undefined || arg === null ? [] : [arg])),
    );
    await page.addInitScript({ content: bridge });
    await page.goto(url);
    await page.locator('#device-facts dt', { hasText: 'Host name' }).waitFor();
    stoppers.push(() => app.kioskController?.stop());
    stoppers.push(() => app.rotation.stop());
    return { page, logs };
  }

  return { cluster, workDir, open, close };
}

declare global {
  interface Window {
    __kubejoinDeliver(channel: string, value: unknown): void;
    __announcements: string[];
    __stepStates: string[];
    __clipboard: string[];
    __cspViolations: string[];
  }
}

/** The secret part of the token appears nowhere but the masked input's value. */
export async function assertNoSecret(page: Page, token: string, logs: string[]): Promise<void> {
  const secret = token.split('.')[1]!;
  const seen = await page.evaluate(() => ({
    text: document.body.innerText,
    html: document.documentElement.outerHTML,
    values: [...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea')].filter((e) => e.id !== 'token').map((e) => e.value),
    diagnostics: document.getElementById('diagnostics')?.textContent ?? '',
    clipboard: window.__clipboard.join('\n'),
    announcements: window.__announcements.join('\n'),
    title: document.title,
  }));
  for (const [where, value] of Object.entries(seen)) {
    assert.ok(!JSON.stringify(value).includes(secret), `the token secret appears in the page's ${where}`);
  }
  assert.ok(!logs.join('\n').includes(secret), "the token secret appears in main's log");
  assert.equal(await page.locator('#token').getAttribute('type'), 'password', 'the token field is masked');
}

export async function tabTo(page: Page, id: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`could not reach #${id} with Tab`);
}
