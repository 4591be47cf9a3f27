// The renderer end to end, in Debian's Chromium through playwright-core. The preload bridge
// is replaced by a test bridge over main's real IPC handlers (main/app.ts with the Electron
// API faked), wired to the REAL agent join() against the REAL local control plane from
// test/harness. Saves screenshots of each screen (see SHOTS).
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getDeviceFacts, join, parseJoinCommand, PHASES } from '../../agent/index.js';
import { startApp } from '../../main/app.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { eventFrom, fakeElectron } from '../unit/helpers/fake-electron.js';
import { buildRenderer, buildTestBridge, rendererDir, root } from './helpers/build-renderer.js';
import { serveDir } from './helpers/static-server.js';
import { mkdirSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
// Screenshots go to test/out/screenshots (ignored); KUBEJOIN_UPDATE_SCREENSHOTS=1 refreshes
// the committed copies the README shows, in test/screenshots.
const SHOTS = process.env.KUBEJOIN_UPDATE_SCREENSHOTS === '1' ? `${root}test/screenshots` : `${root}test/out/screenshots`;
mkdirSync(SHOTS, { recursive: true });
const WRONG_PIN = `sha256:${'0f'.repeat(32)}`;

interface Opened {
  page: Page;
  logs: string[];
}

let browser: Browser;
let cluster: ClusterHandle;
let server: { url: string; close(): Promise<void> };
let bridge: string;
let workDir: string;
const stoppers: (() => void)[] = [];
const skipReason = await stat(CHROMIUM).then(
  () => undefined,
  () => `${CHROMIUM} is not installed`,
);

/** A page running the built renderer against main's handlers and the real engine. */
async function openApp(name: string, colorScheme: 'light' | 'dark' = 'light', argv: string[] = ['kubejoin']): Promise<Opened> {
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
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme });
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
  await page.goto(server.url);
  await page.locator('#device-facts dt', { hasText: 'Host name' }).waitFor();
  stoppers.push(() => app.kioskController?.stop());
  return { page, logs };
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
async function assertNoSecret(page: Page, token: string, logs: string[]): Promise<void> {
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

async function tabTo(page: Page, id: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    if ((await page.evaluate(() => document.activeElement?.id)) === id) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`could not reach #${id} with Tab`);
}

describe('renderer end to end (real agent, real control plane)', { skip: skipReason ?? false }, () => {
  before(async () => {
    workDir = await mkdtemp(joinPath(tmpdir(), 'kj-e2e-renderer-'));
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
  });

  after(async () => {
    for (const stop of stoppers) stop();
    await browser?.close();
    await server?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('keyboard only: fill the form, join, and every step advances to success', async () => {
    const token = await cluster.createToken();
    await cluster.waitForSignature(token.split('.')[0]!);
    const nodeName = `e2e-ok-${token.slice(0, 6)}`;
    const { page, logs } = await openApp('ok');

    assert.equal(await page.locator('#join').isDisabled(), true, 'nothing can be sent before the inputs are valid');
    await tabTo(page, 'endpoint');
    await page.keyboard.type(cluster.endpoint);
    await tabTo(page, 'token');
    await page.keyboard.type(token.slice(0, 10));
    await page.keyboard.press('Tab');
    assert.match(await page.locator('#token-error').innerText(), /the token is malformed/, 'validation as you type');
    await tabTo(page, 'token');
    await page.keyboard.press('End');
    await page.keyboard.type(token.slice(10));
    await tabTo(page, 'pins');
    await page.keyboard.type(cluster.caCertHash);
    await tabTo(page, 'node-name');
    await page.keyboard.type(nodeName);
    await tabTo(page, 'store');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.locator('#store').inputValue(), 'file');
    await tabTo(page, 'join');
    assert.equal(await page.locator('#join').isDisabled(), false);
    assert.equal(await page.locator('#token-error').innerText(), '');
    await page.screenshot({ path: `${SHOTS}/form.png`, fullPage: true });

    await page.keyboard.press('Enter');
    await page.locator('#success').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#steps li.step.done').count(), PHASES.length, 'every phase is done');
    const states = await page.evaluate(() => window.__stepStates);
    for (const phase of PHASES) {
      const mine = states.filter((s) => s.startsWith(`${phase}:`));
      assert.ok(mine.indexOf(`${phase}:running`) >= 0 && mine.indexOf(`${phase}:running`) < mine.indexOf(`${phase}:done`), `${phase} went running → done: ${mine.join(', ')}`);
    }
    const success = await page.locator('#success').innerText();
    assert.match(success, new RegExp(`Joined as node ${nodeName}`));
    assert.match(success, new RegExp(`system:node:${nodeName}`));
    assert.match(success, /Certificate expires\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in \d+ days\)/);
    assert.ok(success.includes(joinPath(workDir, 'ok', 'pki')), 'where the credential is stored');
    assert.match(await page.locator('#steps li[data-phase="await-approval"] .msg').innerText(), /issued, valid until/);
    assert.match(await page.locator('#steps li[data-phase="discover"] .time').innerText(), /\d+ (ms|s)/);
    await page.waitForFunction((n) => window.__announcements.includes(`Joined the cluster as node ${n}.`), nodeName);
    const announcements = await page.evaluate(() => window.__announcements);
    assert.ok(announcements.some((a) => /^Step 1 of 9: Validate input\.$/.test(a)));
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'success-title', 'focus moves to the outcome');
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    await page.screenshot({ path: `${SHOTS}/success.png`, fullPage: true });
    await assertNoSecret(page, token, logs);
    await page.close();
  });

  it('a pasted kubeadm line fills the form; a join still discovering shows its attempts and can be cancelled', async () => {
    // A token without the signing usage is never signed into cluster-info: discovery keeps waiting.
    const token = await cluster.createToken({ usages: ['authentication'] });
    const { page, logs } = await openApp('waiting');
    await page.locator('#paste').fill(`sudo kubeadm join ${cluster.endpoint} --token ${token} \\\n  --discovery-token-ca-cert-hash ${cluster.caCertHash}`);
    await page.locator('#paste').press('Enter');
    await page.locator('#paste-status', { hasText: 'Filled in from the pasted command.' }).waitFor();
    assert.equal(await page.locator('#paste').inputValue(), '', 'the pasted line (with its token) is cleared');
    assert.equal(await page.locator('#endpoint').inputValue(), cluster.endpoint);
    assert.equal(await page.locator('#pins').inputValue(), cluster.caCertHash);
    await page.locator('#token-reveal').click();
    assert.equal(await page.locator('#token').getAttribute('type'), 'text', 'the reveal toggle shows the token');
    assert.equal(await page.locator('#token-reveal').getAttribute('aria-pressed'), 'true');
    await page.locator('#token-reveal').click();
    await page.locator('#node-name').fill(`e2e-wait-${token.slice(0, 6)}`);
    await page.locator('#store').selectOption('file');
    await page.locator('#join').click();

    const discover = page.locator('#steps li[data-phase="discover"]');
    await discover.locator('.msg', { hasText: /attempt ([4-9]|\d\d)/ }).waitFor({ timeout: 60_000 });
    assert.equal(await discover.getAttribute('class'), 'step running');
    assert.equal(await discover.getAttribute('aria-current'), 'step');
    assert.equal(await page.locator('#steps li[data-phase="validate"]').getAttribute('class'), 'step done');
    assert.equal(await page.locator('#steps li[data-phase="pin-ca"]').getAttribute('class'), 'step pending');
    await page.screenshot({ path: `${SHOTS}/progress.png`, fullPage: true });

    await page.locator('#cancel').click();
    await page.locator('#failure-title', { hasText: 'The join was cancelled' }).waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => window.__announcements.includes('The join was cancelled.'));
    await assertNoSecret(page, token, logs);
    await page.close();
  });

  it('a wrong CA hash ends on the failure screen with the right message, and the diagnostics hold no secret', async () => {
    const token = await cluster.createToken();
    await cluster.waitForSignature(token.split('.')[0]!);
    const { page, logs } = await openApp('wrong-ca');
    await page.locator('#endpoint').fill(cluster.endpoint);
    await page.locator('#token').fill(token);
    await page.locator('#pins').fill(WRONG_PIN);
    await page.locator('#node-name').fill(`e2e-bad-${token.slice(0, 6)}`);
    await page.locator('#store').selectOption('file');
    await page.locator('#join').click();

    await page.locator('#failure').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('#steps li[data-phase="pin-ca"]').getAttribute('class'), 'step failed');
    assert.equal(await page.locator('#steps li[data-phase="verify-server"]').getAttribute('class'), 'step pending', 'nothing runs after the failure');
    const message = await page.locator('#failure-message').innerText();
    assert.match(message, /CA/);
    assert.match(message, /none of the CA certificates of this cluster matches the given/);
    assert.match(message, /\(step: Pin the cluster CA\)/);
    assert.match(await page.locator('#failure-category').innerText(), /^Exit code 3: untrusted-cluster \(the cluster's identity could not be verified\)$/);
    assert.notEqual(await page.locator('#failure-next').innerText(), '', 'what to do next');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'failure-title');

    await page.locator('#copy-diagnostics').click();
    await page.locator('#copy-status', { hasText: 'Diagnostics copied' }).waitFor();
    const copied = await page.evaluate(() => window.__clipboard.at(-1) ?? '');
    assert.match(copied, /exit code: 3 \(untrusted-cluster/);
    assert.match(copied, /failed step: pin-ca/);
    assert.ok(copied.includes(cluster.endpoint));
    await page.locator('#failure details summary').click();
    await page.screenshot({ path: `${SHOTS}/failure.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${SHOTS}/failure-dark.png`, fullPage: true });
    await assertNoSecret(page, token, logs);

    // Try again: back to the form, values kept (the token still masked).
    await page.locator('#retry').click();
    assert.equal(await page.locator('#entry').isVisible(), true);
    assert.equal(await page.locator('#endpoint').inputValue(), cluster.endpoint);
    await page.close();
  });

  it('a reloaded window (as after a renderer crash) shows the finished join again', async () => {
    const token = await cluster.createToken();
    await cluster.waitForSignature(token.split('.')[0]!);
    const { page, logs } = await openApp('reload');
    await page.locator('#endpoint').fill(cluster.endpoint);
    await page.locator('#token').fill(token);
    await page.locator('#pins').fill(cluster.caCertHash);
    await page.locator('#node-name').fill(`e2e-reload-${token.slice(0, 6)}`);
    await page.locator('#store').selectOption('file');
    await page.locator('#join').click();
    await page.locator('#success').waitFor({ timeout: 60_000 });
    await page.reload();
    await page.locator('#success').waitFor();
    assert.equal(await page.locator('#steps li.step.done').count(), PHASES.length);
    assert.equal(await page.locator('#entry').isVisible(), false);
    await assertNoSecret(page, token, logs);
    await page.close();
  });
  it('kiosk: the join starts by itself from the provisioning file, without the form', async () => {
    const token = await cluster.createToken();
    await cluster.waitForSignature(token.split('.')[0]!);
    const tokenFile = joinPath(workDir, 'kiosk-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const file = joinPath(workDir, 'provision.yaml');
    const nodeName = `e2e-kiosk-${token.slice(0, 6)}`;
    await writeFile(file, `endpoint: ${cluster.endpoint}\ntokenFile: kiosk-token\ncaCertHashes:\n  - ${cluster.caCertHash}\nnodeName: ${nodeName}\nstore: file\n`, { mode: 0o600 });
    const { page, logs } = await openApp('kiosk', 'light', ['kubejoin', '--provision', file]);
    await page.locator('#success').waitFor({ timeout: 60_000 });
    await page.locator('#kiosk-status', { hasText: 'Joined. This device is provisioned.' }).waitFor();
    assert.equal(await page.locator('#entry').isVisible(), false, 'a kiosk has no form');
    assert.equal(await page.locator('#kiosk-path').innerText(), file);
    assert.match(await page.locator('#success-title').innerText(), new RegExp(nodeName));
    await page.screenshot({ path: `${SHOTS}/kiosk-joined.png`, fullPage: true });
    await assertNoSecret(page, token, logs);
    await page.close();
  });

  it('kiosk: a malformed provisioning file shows what is wrong in it, with a countdown to the next read', async () => {
    const file = joinPath(workDir, 'bad-provision.yaml');
    await writeFile(file, `endpoint: https://${cluster.endpoint}\ntoken: kiosk1.zyxwvutsrqponmlk\ncaCertHashes: [sha256:abcd]\nnode: x\n`);
    const { page, logs } = await openApp('kiosk-bad', 'light', ['kubejoin', '--provision', file]);
    await page.locator('#kiosk-problems li').first().waitFor();
    await page.locator('#kiosk-countdown', { hasText: /Checking the file again in \d+ s/ }).waitFor();
    const problems = await page.locator('#kiosk-problems').innerText();
    assert.match(problems, new RegExp(`${file}:1: the endpoint .* without a scheme`));
    assert.match(problems, new RegExp(`${file}:3: invalid CA cert hash "sha256:abcd"`));
    assert.match(problems, new RegExp(`${file}:4: unknown key "node"`));
    assert.equal(await page.locator('#kiosk-status').innerText(), 'The provisioning file cannot be used:');
    await page.screenshot({ path: `${SHOTS}/kiosk-invalid.png`, fullPage: true });
    await assertNoSecret(page, 'kiosk1.zyxwvutsrqponmlk', logs);
    await page.close();
  });
});
