// The app keeps the credential fresh while open: the rotation loop starts at start-up (the
// join's default kubeconfig) and again for the kubeconfig of a successful join; its updates
// reach the window (credential.rotation) and a reloading window can ask for the latest.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { AgentOptions } from '../../../agent/lifecycle/agent-loop.js';
import type { IpcResult, RotationUpdate } from '../../../agent/contract/index.js';
import { RotationKeeper } from '../../../main/rotation.js';
import { eventFrom } from '../../helpers/fake-electron.js';
import { okEvents, scriptedEngine } from '../../helpers/fake-engine.js';
import { startTestApp, stopTestApps, tick } from '../../helpers/main-app.js';

afterEach(stopTestApps);

/** A stand-in for the agent loop: records how it was started, runs until aborted. */
function fakeLoop(): { runs: { opts: AgentOptions; aborted: () => boolean }[]; run: (opts: AgentOptions) => Promise<number> } {
  const runs: { opts: AgentOptions; aborted: () => boolean }[] = [];
  return {
    runs,
    run: (opts) => {
      runs.push({ opts, aborted: () => opts.signal.aborted });
      return new Promise((resolve) => opts.signal.addEventListener('abort', () => resolve(0)));
    },
  };
}

describe('RotationKeeper', () => {
  it('starts once per kubeconfig, restarts for another one, stops on stop()', async () => {
    const loop = fakeLoop();
    const keeper = new RotationKeeper({ env: {}, notify: () => {}, log: () => {}, run: loop.run });
    keeper.start('/a/kubelet.conf');
    keeper.start('/a/kubelet.conf');
    assert.equal(loop.runs.length, 1);
    keeper.start('/b/kubelet.conf');
    assert.equal(loop.runs.length, 2);
    assert.equal(loop.runs[0]!.aborted(), true, 'the first loop was stopped');
    keeper.stop();
    assert.equal(loop.runs[1]!.aborted(), true);
    assert.equal(await keeper.settled(), 0);
  });

  it('a loop that ended (not joined at start-up) is started again for the same kubeconfig after a join', async () => {
    const runs: AgentOptions[] = [];
    const keeper = new RotationKeeper({ env: {}, notify: () => {}, log: () => {}, run: async (opts) => (runs.push(opts), 10) });
    keeper.start('/a/kubelet.conf');
    assert.equal(await keeper.settled(), 10);
    keeper.start('/a/kubelet.conf');
    assert.equal(runs.length, 2);
    keeper.stop();
  });

  it('forwards every update and remembers the latest', () => {
    const loop = fakeLoop();
    const seen: RotationUpdate[] = [];
    const keeper = new RotationKeeper({ env: {}, notify: (u) => seen.push(u), log: () => {}, run: loop.run });
    assert.equal(keeper.state(), null);
    keeper.start();
    const update: RotationUpdate = { state: 'scheduled', notAfter: '2027-01-01T00:00:00.000Z', nextRotation: '2026-10-01T00:00:00.000Z' };
    loop.runs[0]!.opts.onUpdate!(update);
    assert.deepEqual(seen, [update]);
    assert.deepEqual(keeper.state(), update);
    keeper.stop();
  });

  it('in the app: starts at start-up, then for the kubeconfig of a successful join; the window gets the updates', async () => {
    const loop = fakeLoop();
    const engine = scriptedEngine();
    engine.scripts.push(okEvents());
    const t = await startTestApp({ runRotation: loop.run, joinDefaults: { kubeconfigOut: '/state/kubelet.conf' } }, engine);
    assert.equal(loop.runs.length, 1, 'started at start-up');
    assert.equal(t.app.rotation.kubeconfigPath, '/state/kubelet.conf');
    const answer = (await t.electron.ipcMain.invoke('kubejoin:join.start', eventFrom(t.window.webContents), {
      endpoint: '10.0.0.1:6443',
      token: 'abcdef.0123456789abcdef',
    })) as IpcResult<unknown>;
    assert.equal(answer.type, 'success');
    await t.app.session.settled();
    await tick();
    assert.equal(loop.runs.length, 2, 'restarted for the joined kubeconfig');
    assert.equal(t.app.rotation.kubeconfigPath, '/tmp/k/kubelet.conf');
    const update: RotationUpdate = { state: 'scheduled', nextRotation: '2026-10-01T00:00:00.000Z' };
    loop.runs[1]!.opts.onUpdate!(update);
    assert.ok(t.window.webContents.sent.some(([channel, value]) => channel === 'kubejoin:credential.rotation' && value === update));
    const got = (await t.electron.ipcMain.invoke('kubejoin:credential.getRotation', eventFrom(t.window.webContents))) as IpcResult<RotationUpdate>;
    assert.deepEqual(got, { type: 'success', value: update });
    t.app.rotation.stop();
  });
});
