// The IPC boundary: handlers derived from the schema refuse foreign senders and bad
// arguments, answer only success/error envelopes, and the renderer API derived from the
// same schema round-trips through them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { channelOf, createRendererApi, ipcSchema, schemaEntries, type IpcRendererLike, type IpcResult } from '../../../agent/contract/index.js';
import { FakeFrame, FakeWebContents, eventFrom } from '../../helpers/fake-electron.js';
import { okEvents } from '../../helpers/fake-engine.js';
import { startTestApp, tick } from '../../helpers/main-app.js';
import { PIN, TOKEN } from '../../helpers/fixtures.js';

describe('main IPC handlers', () => {
  it('registers exactly one handler per invoke entry, on derived channel names', async () => {
    const { electron } = await startTestApp();
    const invokes = schemaEntries()
      .filter((e) => e.entry.kind === 'invoke')
      .map((e) => e.channel);
    assert.deepEqual([...electron.ipcMain.handlers.keys()].sort(), invokes.sort());
    assert.ok(invokes.includes('kubejoin:join.start'));
    assert.equal(channelOf('join', 'start'), 'kubejoin:join.start');
  });

  const refusals: [string, (w: FakeWebContents) => ReturnType<typeof eventFrom>][] = [
    ['invalid: a foreign web contents', () => eventFrom(new FakeWebContents())],
    ['invalid: a subframe of our window', (w) => eventFrom(w, new FakeFrame('kubejoin://app/index.html', w.mainFrame))],
    ['invalid: our window showing another page', (w) => eventFrom(w, new FakeFrame('https://evil.example/'))],
    ['invalid: a frame that is gone', (w) => eventFrom(w, null)],
  ];
  for (const [name, event] of refusals) {
    it(`refuses ${name}`, async () => {
      const { electron, window, engine, logs } = await startTestApp();
      const answer = (await electron.ipcMain.invoke('kubejoin:join.start', event(window.webContents), {
        endpoint: '10.0.0.1:6443',
        token: TOKEN,
      })) as IpcResult<unknown>;
      assert.equal(answer.type, 'error');
      assert.match(answer.type === 'error' ? answer.message : '', /^refused: /);
      assert.equal(engine.requests.length, 0, 'no join was started');
      assert.ok(logs.some((l) => l.startsWith('refused kubejoin:join.start')));
      assert.ok(!logs.join('\n').includes(TOKEN), 'the log never holds the token');
    });
  }

  const badArgs: [string, string, unknown[]][] = [
    ['invalid: join.start with a number', 'kubejoin:join.start', [42]],
    ['invalid: join.start with a path the window may not choose', 'kubejoin:join.start', [{ endpoint: 'a:1', certDir: '/etc' }]],
    ['invalid: join.start with a non-string token', 'kubejoin:join.start', [{ token: { secret: 1 } }]],
    ['invalid: join.start with an unknown store', 'kubejoin:join.start', [{ store: 'cloud' }]],
    ['invalid: join.start with too many pins', 'kubejoin:join.start', [{ caCertHashes: Array(40).fill(PIN) }]],
    ['invalid: join.start with a prototype key', 'kubejoin:join.start', [JSON.parse('{"__proto__": {"x": 1}}')]],
    ['invalid: join.start with two arguments', 'kubejoin:join.start', [{}, {}]],
    ['invalid: device.getFacts with an argument', 'kubejoin:device.getFacts', ['x']],
    ['invalid: command.parse with an object', 'kubejoin:command.parse', [{ line: 'kubeadm join' }]],
    ['invalid: command.parse with a huge line', 'kubejoin:command.parse', ['x'.repeat(100_000)]],
  ];
  for (const [name, channel, args] of badArgs) {
    it(`refuses ${name}`, async () => {
      const { electron, window, engine } = await startTestApp();
      const answer = (await electron.ipcMain.invoke(channel, eventFrom(window.webContents), ...args)) as IpcResult<unknown>;
      assert.equal(answer.type, 'error', JSON.stringify(answer));
      assert.equal(engine.requests.length, 0);
    });
  }

  it('valid: our window starts a join, gets its snapshot, and the events arrive', async () => {
    const { electron, window, engine } = await startTestApp();
    engine.scripts.push(okEvents());
    const answer = (await electron.ipcMain.invoke('kubejoin:join.start', eventFrom(window.webContents), {
      endpoint: '10.0.0.1:6443',
      token: TOKEN,
      caCertHashes: [PIN],
    })) as IpcResult<{ joinId: number; status: string; request?: Record<string, unknown> }>;
    assert.equal(answer.type, 'success');
    if (answer.type !== 'success') return;
    assert.equal(answer.value.status, 'running');
    assert.equal(answer.value.request?.token, undefined, 'the snapshot never carries the token');
    for (let i = 0; i < 20; i++) await tick();
    const updates = window.webContents.sent.filter(([c]) => c === 'kubejoin:join.update');
    assert.ok(updates.length >= okEvents().length);
    assert.deepEqual(updates.at(-1)?.[1], { joinId: 1, status: 'succeeded' });
    assert.ok(!JSON.stringify(window.webContents.sent).includes('0123456789abcdef'));
    assert.equal(engine.requests[0]?.token, TOKEN, 'the engine gets the token');
  });

  it('valid: a handler error comes back as an error envelope, not a throw', async () => {
    const { electron, window } = await startTestApp();
    const ev = eventFrom(window.webContents);
    await electron.ipcMain.invoke('kubejoin:join.start', ev, { endpoint: '10.0.0.1:6443' }); // waits for abort (no script)
    const second = (await electron.ipcMain.invoke('kubejoin:join.start', ev, { endpoint: '10.0.0.1:6443' })) as IpcResult<unknown>;
    assert.deepEqual(second, { type: 'error', message: 'a join is already running: cancel it first' });
    const cancelled = (await electron.ipcMain.invoke('kubejoin:join.cancel', ev)) as IpcResult<unknown>;
    assert.equal(cancelled.type, 'success');
  });

  it('valid: a pasted line comes back without paths, and with a warning about them', async () => {
    const { electron, window } = await startTestApp();
    const answer = (await electron.ipcMain.invoke('kubejoin:command.parse', eventFrom(window.webContents), 'kubeadm join x')) as IpcResult<{
      ok: boolean;
      request: Record<string, unknown>;
      warnings: string[];
    }>;
    assert.equal(answer.type, 'success');
    if (answer.type !== 'success') return;
    assert.equal(answer.value.request.certDir, undefined);
    assert.match(answer.value.warnings.join(' '), /certDir .* ignored/);
  });

  it('valid: a parse error never echoes a token', async () => {
    const { electron, window } = await startTestApp();
    const answer = (await electron.ipcMain.invoke('kubejoin:command.parse', eventFrom(window.webContents), `nonsense ${TOKEN}`)) as IpcResult<{
      ok: boolean;
      error: string;
    }>;
    assert.equal(answer.type, 'success');
    assert.ok(!JSON.stringify(answer).includes('0123456789abcdef'));
  });

  it('the renderer API derived from the schema round-trips through the handlers', async () => {
    const { electron, window } = await startTestApp();
    const listeners = new Map<string, Set<(e: unknown, v: unknown) => void>>();
    const ipcRenderer: IpcRendererLike = {
      invoke: (channel, ...args) => electron.ipcMain.invoke(channel, eventFrom(window.webContents), ...args),
      on: (channel, l) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(l)),
      removeListener: (channel, l) => listeners.get(channel)?.delete(l),
    };
    const api = createRendererApi(ipcRenderer);
    assert.deepEqual(Object.keys(api).sort(), Object.keys(ipcSchema).sort());
    assert.deepEqual(Object.keys(api.join).sort(), ['cancel', 'getState', 'listenUpdate', 'start']);
    assert.equal((await api.device.getFacts()).hostname, 'kiosk-7');
    assert.deepEqual(await api.kiosk.getState(), { phase: 'off' });
    await assert.rejects(api.command.parse(42 as unknown as string), /command line must be a string/);
    const seen: unknown[] = [];
    const unsubscribe = api.join.listenUpdate((u) => seen.push(u));
    for (const l of listeners.get('kubejoin:join.update') ?? []) l({ sender: 'hidden' }, { joinId: 1, status: 'running' });
    assert.deepEqual(seen, [{ joinId: 1, status: 'running' }], 'the listener gets the value, never the IPC event');
    unsubscribe();
    assert.equal(listeners.get('kubejoin:join.update')?.size, 0);
  });
});
