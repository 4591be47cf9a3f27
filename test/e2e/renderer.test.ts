// The renderer end to end, in Debian's Chromium through playwright-core: the real agent
// join() against the real local control plane, through main's real IPC handlers (see
// helpers/renderer-app.ts). Saves screenshots of each screen (see SHOTS).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PHASES } from '../../agent/index.js';
import type { ClusterHandle } from '../harness/index.js';
import { assertNoSecret, recordRendererHash, SHOTS, skipReason, startRendererApp, tabTo, type RendererApp } from './helpers/renderer-app.js';

const WRONG_PIN = `sha256:${'0f'.repeat(32)}`;

let app: RendererApp;
let cluster: ClusterHandle;
let workDir: string;

describe('renderer end to end (real agent, real control plane)', { skip: skipReason ?? false }, () => {
  before(async () => {
    app = await startRendererApp();
    ({ cluster, workDir } = app);
  });
  after(async () => {
    await app?.close();
    await recordRendererHash();
  });

  it('keyboard only: fill the form, join, and every step advances to success', async () => {
    const token = await cluster.signedToken();
    const nodeName = `e2e-ok-${token.slice(0, 6)}`;
    const { page, logs } = await app.open('ok');

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
      assert.ok(
        mine.indexOf(`${phase}:running`) >= 0 && mine.indexOf(`${phase}:running`) < mine.indexOf(`${phase}:done`),
        `${phase} went running → done: ${mine.join(', ')}`,
      );
    }
    const success = await page.locator('#success').innerText();
    assert.match(success, new RegExp(`Joined as node ${nodeName}`));
    assert.match(success, new RegExp(`system:node:${nodeName}`));
    assert.match(success, /Certificate expires\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in \d+ days\)/);
    assert.ok(success.includes(joinPath(workDir, 'ok', 'pki')), 'where the credential is stored');
    // main's rotation loop took the new credential over and pushed its schedule to the window.
    const rotation = page.locator('#success-facts dd', { hasText: /, automatic$/ });
    await rotation.waitFor({ timeout: 15_000 });
    assert.match(await rotation.innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in \d+ days\), automatic$/);
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
    const { page, logs } = await app.open('waiting');
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
    const token = await cluster.signedToken();
    const { page, logs } = await app.open('wrong-ca');
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
    // The error shows once on screen (the failed step points below), and the diagnostics fit.
    assert.equal(await page.locator('#steps li[data-phase="pin-ca"] .msg').innerText(), 'see below');
    const visible = await page.locator('main').innerText();
    assert.equal(visible.split('none of the CA certificates of this cluster matches').length - 1, 1, visible);
    await page.locator('#failure details summary').click();
    const box = await page.locator('#diagnostics').evaluate((pre) => ({ scroll: pre.scrollHeight, client: pre.clientHeight }));
    assert.ok(box.scroll <= box.client, `the diagnostics are cut off: ${box.scroll} > ${box.client}`);
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
    const token = await cluster.signedToken();
    const { page, logs } = await app.open('reload');
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
    const token = await cluster.signedToken();
    const tokenFile = joinPath(workDir, 'kiosk-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const file = joinPath(workDir, 'provision.yaml');
    const nodeName = `e2e-kiosk-${token.slice(0, 6)}`;
    await writeFile(
      file,
      `endpoint: ${cluster.endpoint}\ntokenFile: kiosk-token\ncaCertHashes:\n  - ${cluster.caCertHash}\nnodeName: ${nodeName}\nstore: file\n`,
      { mode: 0o600 },
    );
    const { page, logs } = await app.open('kiosk', 'light', ['kubejoin', '--provision', file]);
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
    await writeFile(file, `endpoint: https://${cluster.endpoint}\ntoken: kiosk1.zyxwvutsrqponmlk\ncaCertHashes: [sha256:abcd]\nnode: x\n`, { mode: 0o600 });
    const { page, logs } = await app.open('kiosk-bad', 'light', ['kubejoin', '--provision', file]);
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
