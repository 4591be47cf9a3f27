// The desktop app's "Run checks" end to end: Debian's Chromium (playwright-core) runs the
// built renderer over main's real IPC handlers (Electron faked), with the REAL agent join()
// and runDoctor() against the REAL local control plane. Also: the form's proxy line.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getDeviceFacts, join, parseJoinCommand, proxyInUse, runDoctor } from '../../agent/index.js';
import { startApp } from '../../main/app.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { eventFrom, fakeElectron } from '../helpers/fake-electron.js';
import { buildRenderer, buildTestBridge, rendererDir } from './helpers/build-renderer.js';
import { serveDir } from './helpers/static-server.js';
import { recordRendererHash, SHOTS } from './helpers/renderer-app.js';

const CHROMIUM = '/usr/bin/chromium';
const skipReason = await stat(CHROMIUM).then(
  () => undefined,
  () => `${CHROMIUM} is not installed`,
);

let browser: Browser;
let cluster: ClusterHandle;
let server: { url: string; close(): Promise<void> };
let bridge: string;
let workDir: string;

async function openApp(env: NodeJS.ProcessEnv): Promise<{ page: Page; logs: string[] }> {
  const logs: string[] = [];
  const electron = fakeElectron();
  const app = startApp(
    electron,
    { join, parseJoinCommand, getDeviceFacts, runDoctor, proxyInUse },
    {
      argv: ['kubejoin'],
      rendererDir,
      preloadPath: '(test bridge)',
      platform: 'linux',
      env: { KUBEJOIN_PROVISION: joinPath(workDir, 'no-provision.yaml'), ...env },
      fileExists: () => false,
      log: (line) => logs.push(line),
      joinDefaults: { certDir: joinPath(workDir, 'pki'), kubeconfigOut: joinPath(workDir, 'kubelet.conf') },
    },
  );
  await app.ready;
  const win = electron.windows[0]!;
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  let delivery: Promise<unknown> = Promise.resolve();
  win.webContents.onSend = (channel, value) => {
    delivery = delivery.then(() => page.evaluate(([c, v]) => window.__kubejoinDeliver(c, v), [channel, value] as const).catch(() => {}));
  };
  await page.exposeFunction('__kubejoinInvoke', (channel: string, arg: unknown) =>
    electron.ipcMain.invoke(channel, eventFrom(win.webContents), ...(arg === undefined || arg === null ? [] : [arg])),
  );
  await page.addInitScript({ content: bridge });
  await page.goto(server.url);
  await page.locator('#device-facts dt', { hasText: 'Host name' }).waitFor();
  return { page, logs };
}

declare global {
  interface Window {
    __kubejoinDeliver(channel: string, value: unknown): void;
  }
}

describe('desktop: Run checks and the proxy line (real agent, real control plane)', { skip: skipReason ?? false }, () => {
  before(async () => {
    workDir = await mkdtemp(joinPath(tmpdir(), 'kj-e2e-edge-'));
    await buildRenderer();
    bridge = await buildTestBridge();
    server = await serveDir(rendererDir);
    [browser, cluster] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] }),
      testCluster(),
    ]);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
    await recordRendererHash();
  });

  it("valid: the form shows the environment's proxy, masked; a failed join offers Run checks with the ranked cause", async () => {
    const token = await cluster.signedToken();
    // Loopback is never proxied, so the join to the local cluster goes direct while the form shows the proxy.
    const { page, logs } = await openApp({ HTTPS_PROXY: 'http://kiosk:pr0xy-pa55@127.0.0.1:9', NO_PROXY: '.corp' });
    await page.locator('#proxy-line', { hasText: 'HTTPS_PROXY' }).waitFor();
    assert.equal(await page.locator('#proxy-line').innerText(), 'Proxy: http://***@127.0.0.1:9 (HTTPS_PROXY; NO_PROXY: .corp)');

    await page.locator('#endpoint').fill(cluster.endpoint);
    await page.locator('#token').fill(token);
    await page.locator('#pins').fill(`sha256:${'0f'.repeat(32)}`);
    await page.locator('#node-name').fill(`e2e-checks-${token.slice(0, 6)}`);
    await page.locator('#store').selectOption('file');
    await page.locator('#join').click();
    await page.locator('#failure').waitFor({ timeout: 60_000 });

    await page.locator('#run-checks').click();
    await page.locator('#doctor-cause', { hasText: 'Most likely cause' }).waitFor({ timeout: 20_000 });
    assert.match(await page.locator('#doctor-cause').innerText(), /^Most likely cause \(CA pin and verified TLS\): no CA in cluster-info matches/);
    assert.match(await page.locator('#doctor-fix').innerText(), /kubejoin ca-hash/);
    assert.match(await page.locator('#doctor-status').innerText(), /exit code 3/);
    const checks = await page.locator('#doctor-checks > li').allInnerTexts();
    assert.equal(checks.length, 10);
    assert.match(checks[0]!, /pass: Proxy in effect: direct: loopback is never proxied/);
    assert.match(checks[8]!, /skip: Token authenticates: not run: the token is sent only after the pin holds/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'doctor-title');
    await page.screenshot({ path: `${SHOTS}/doctor.png`, fullPage: true });

    const page_ = await page.evaluate(() => document.documentElement.outerHTML);
    for (const secret of [token.split('.')[1]!, 'pr0xy-pa55']) {
      assert.ok(!page_.replace(/<input[^>]*id="token"[^>]*>/, '').includes(secret), `${secret.slice(0, 3)}… appears in the page`);
      assert.ok(!logs.join('\n').includes(secret));
    }
    await page.close();
  });
});
