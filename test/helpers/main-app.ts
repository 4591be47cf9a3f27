import { startApp, type AppConfig, type RunningApp } from '../../main/app.js';
import type { ProvisionResult } from '../../main/provision.js';
import { fakeElectron, type FakeElectron, type FakeWindow } from './fake-electron.js';
import { scriptedEngine, type ScriptedEngine } from './fake-engine.js';

export interface TestApp {
  electron: FakeElectron;
  engine: ScriptedEngine;
  app: RunningApp;
  window: FakeWindow;
  logs: string[];
}

const running: RunningApp[] = [];

/** Stops kiosk loops left running by a test (call from afterEach). */
export function stopTestApps(): void {
  for (const app of running.splice(0)) app.kioskController?.stop();
}

export async function startTestApp(config: Partial<AppConfig> = {}, engine = scriptedEngine(), electron = fakeElectron()): Promise<TestApp> {
  const logs: string[] = [];
  const app = startApp(electron, engine, {
    argv: ['main.cjs'],
    rendererDir: '/nonexistent',
    preloadPath: '/app/preload.cjs',
    platform: 'linux',
    env: { KUBEJOIN_PROVISION: '/nonexistent/provision.yaml' },
    fileExists: () => false,
    log: (line) => logs.push(line),
    loadProvision: async (): Promise<ProvisionResult> => ({ ok: false, missing: true, problems: ['no provisioning file'] }),
    sleepSecond: () => new Promise((r) => setImmediate(r)),
    // The app keeps a joined machine's credential fresh from its start; a test app never
    // touches this machine's (on a joined machine, or as root: /etc/kubernetes/kubelet.conf).
    runRotation: (opts) => new Promise<number>((resolve) => opts.signal.addEventListener('abort', () => resolve(0), { once: true })),
    ...config,
  });
  running.push(app);
  await app.ready;
  return { electron, engine, app, window: electron.windows[0]!, logs };
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
