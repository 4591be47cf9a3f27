// The desktop app, composed from an injected Electron API and the engine: single instance,
// hardened contents and session, one window, IPC derived from the schema, kiosk mode,
// and a window that reloads (and shows the join again) after a renderer crash.
import {
  createMainNotifiers,
  type DeviceFacts,
  type DoctorReport,
  type ProxyInUse,
  type UiDoctorRequest,
  type JoinRequest,
  type KioskState,
  type MainHandlers,
} from '../agent/contract/index.js';
import type { KeychainHelperLauncher } from '../agent/index.js';
import { APP_URL, registerAppScheme, serveApp } from './app-protocol.js';
import type { ElectronApi, WindowLike } from './electron-api.js';
import { desktopCredentialCommand } from './credential-command.js';
import { registerIpcHandlers } from './ipc-handlers.js';
import { JoinSession, type JoinFn } from './join-session.js';
import { KioskController, kioskOptionsFromArgv, type KioskOptions } from './kiosk.js';
import { debugSwitch, debugSwitchMessage, guardKioskWindow, joinStateText, showCrashMessage } from './kiosk-guard.js';
import { toUiParsed, type EngineParsed } from './pasted-command.js';
import { DEFAULT_RETRY_DELAY_SECONDS, defaultProvisionPath, loadProvision, type ProvisionResult } from './provision.js';
import { redactDeep, secretsOf } from './redact.js';
import { RotationKeeper, type RotationDeps } from './rotation.js';
import { hardenContents, hardenSession, openAllowlistedLink } from './security.js';
import { ourWindowOnly } from './sender.js';
import { createMainWindow, focusWindow } from './window.js';

/** The engine's entry points (agent/index.ts), the same ones the CLI uses. */
export interface Engine {
  join: JoinFn;
  parseJoinCommand(line: string): EngineParsed;
  getDeviceFacts(): Promise<DeviceFacts>;
  /** `kubejoin doctor`'s checks (absent in engines made for tests that do not use them). */
  runDoctor?(request: UiDoctorRequest, options: { env: NodeJS.ProcessEnv }): Promise<DoctorReport>;
  proxyInUse?(env: NodeJS.ProcessEnv): ProxyInUse;
  /** Where keytar runs (agent/store/keytar-child.ts); absent in engines made for tests. */
  setKeychainHelperLauncher?(launcher: KeychainHelperLauncher): void;
}

export interface AppConfig {
  argv: readonly string[];
  rendererDir: string;
  preloadPath: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  fileExists(path: string): boolean;
  log(line: string): void;
  /** Paths and defaults main adds to every join (the window may not choose them). */
  joinDefaults?: Partial<JoinRequest>;
  /** The app's own executable: on macOS and Windows, kubectl's exec plugin (main/cli-mode.ts). */
  execPath?: string;
  /** Starts the keychain helper in a utilityProcess once the app is ready (main/keychain-launcher.ts). */
  keychainLauncher?: () => KeychainHelperLauncher;
  loadProvision?(path: string): Promise<ProvisionResult>;
  /** The rotation loop (default: the agent's); tests inject one. */
  runRotation?: RotationDeps['run'];
  sleepSecond?(): Promise<void>;
}

export interface RunningApp {
  /** False when another instance holds the lock (this one quits). */
  primary: boolean;
  kiosk: KioskOptions;
  /** Resolves once the window exists. */
  ready: Promise<void>;
  window(): WindowLike | undefined;
  session: JoinSession;
  kioskController: KioskController | undefined;
  rotation: RotationKeeper;
}

const MAX_CRASH_RELOADS_PER_MINUTE = 3;

export function startApp(api: ElectronApi, engine: Engine, config: AppConfig): RunningApp {
  const kiosk = kioskOptionsFromArgv(config.argv, defaultProvisionPath(config.platform, config.env), config.fileExists);
  let window: WindowLike | undefined;
  const credentialCommand = desktopCredentialCommand(config.platform, config.execPath ?? '', api.app.isPackaged);
  const session = new JoinSession(
    engine.join,
    (u) => {
      notifiers.join.update(u);
      // A joined machine stays joined: rotate the new credential while the app is open.
      if (u.event?.type === 'result' && u.event.result.ok) rotation.start(u.event.result.store.kubeconfigPath, session.proxy);
    },
    config.joinDefaults,
    credentialCommand,
  );
  const rotation = new RotationKeeper({
    env: config.env,
    notify: (u) => notifiers.credential.rotation(u),
    log: config.log,
    ...(config.runRotation ? { run: config.runRotation } : {}),
  });
  const notifiers = createMainNotifiers((channel, value) => {
    if (window && !window.isDestroyed() && !window.webContents.isDestroyed()) window.webContents.send(channel, value);
  });

  if (!api.app.requestSingleInstanceLock()) {
    config.log('kubejoin is already running: focusing its window');
    api.app.quit();
    return { primary: false, kiosk, ready: Promise.resolve(), window: () => undefined, session, kioskController: undefined, rotation };
  }

  const refused = kiosk.enabled || api.app.isPackaged ? debugSwitch(config.argv) : undefined;
  if (refused && !(config.env.KUBEJOIN_ALLOW_DEBUGGING === '1' && !api.app.isPackaged)) {
    config.log(debugSwitchMessage(refused));
    api.app.exit(2);
    return { primary: false, kiosk, ready: Promise.resolve(), window: () => undefined, session, kioskController: undefined, rotation };
  }

  const kioskController = kiosk.enabled
    ? new KioskController({
        provisionPath: kiosk.provisionPath,
        load: config.loadProvision ?? ((p) => loadProvision(p, undefined, { platform: config.platform })),
        session,
        notify: (state) => notifiers.kiosk.state(state),
        sleepSecond: config.sleepSecond ?? (() => new Promise((r) => setTimeout(r, 1000))),
        defaultRetrySeconds: DEFAULT_RETRY_DELAY_SECONDS,
      })
    : undefined;

  const forbidDevTools = kiosk.enabled || api.app.isPackaged;
  let quitting = false;
  registerAppScheme(api.protocol);
  api.app.on('web-contents-created', (_event, contents) =>
    hardenContents(contents, {
      forbidDevTools,
      log: config.log,
      ...(kiosk.enabled ? {} : { onExternalLink: (url: string) => openAllowlistedLink(api.shell, url, config.log) }),
    }),
  );
  api.app.on('second-instance', () => focusWindow(window));
  api.app.on('before-quit', () => {
    quitting = true;
    kioskController?.stop();
    rotation.stop();
  });
  api.app.on('window-all-closed', () => api.app.quit());

  const handlers: MainHandlers = {
    join: {
      start: (request) => {
        if (kiosk.enabled) throw new Error('this is a kiosk: the join starts from the provisioning file');
        return session.start(request);
      },
      cancel: () => session.cancel(),
      getState: () => session.snapshot(),
    },
    device: { getFacts: () => engine.getDeviceFacts() },
    command: { parse: (line) => toUiParsed(engine.parseJoinCommand(line)) },
    kiosk: { getState: (): KioskState => kioskController?.state() ?? { phase: 'off' } },
    doctor: {
      run: async (request) => {
        if (!engine.runDoctor) throw new Error('the checks are not available in this build');
        // Defense in depth, as for join events: nothing the window shows may hold the token.
        return redactDeep(await engine.runDoctor(request, { env: config.env }), secretsOf(request.token));
      },
      proxy: () => engine.proxyInUse?.(config.env) ?? {},
    },
    credential: { getRotation: () => rotation.state() },
  };
  registerIpcHandlers(
    api.ipcMain,
    handlers,
    ourWindowOnly(() => window),
    config.log,
  );

  const ready = api.app.whenReady().then(() => {
    // Keychain calls of joins, rotation and reset run in a utilityProcess from now on.
    if (config.keychainLauncher) engine.setKeychainHelperLauncher?.(config.keychainLauncher());
    hardenSession(api.defaultSession());
    serveApp(api.protocol, config.rendererDir);
    if (kiosk.enabled || config.platform !== 'darwin') api.Menu.setApplicationMenu(null);
    const win = createMainWindow(api, { preloadPath: config.preloadPath, kiosk: kiosk.enabled, devTools: !forbidDevTools }, APP_URL);
    window = win;
    const guard = kiosk.enabled ? guardKioskWindow(win, () => quitting) : undefined;
    win.on('closed', () => {
      if (window === win) window = undefined;
    });
    reloadAfterCrash(win, config.log, (crashes) =>
      showCrashMessage(api.dialog, win, crashes, joinStateText(session.snapshot(), kioskController?.state() ?? { phase: 'off' }), guard),
    );
    // Already joined (the join's kubeconfig exists): keep it fresh. Not joined: the loop ends at once.
    rotation.start(config.joinDefaults?.kubeconfigOut);
    if (kioskController) void kioskController.run();
  });
  return { primary: true, kiosk, ready, window: () => window, session, kioskController, rotation };
}

/**
 * A crashed renderer is reloaded; the page then asks for the join's state and shows it again.
 * After more than MAX_CRASH_RELOADS_PER_MINUTE crashes in a minute, a native message with the
 * join's state is shown instead of a blank window; its button reloads once more.
 */
function reloadAfterCrash(win: WindowLike, log: (line: string) => void, tooMany: (crashes: number) => Promise<void>): void {
  const crashes: number[] = [];
  let messageUp = false;
  const reload = (): void => {
    if (!win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.reload();
  };
  win.webContents.on('render-process-gone', (_event, details) => {
    if (details.reason === 'clean-exit') return;
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0]! < now - 60_000) crashes.shift();
    if (crashes.length > MAX_CRASH_RELOADS_PER_MINUTE) {
      log(`the window crashed ${crashes.length} times in a minute (${details.reason}): showing the join's state instead`);
      if (messageUp) return;
      messageUp = true;
      void tooMany(crashes.length)
        .catch((err: unknown) => log(`cannot show the crash message: ${(err as Error).message}`))
        .finally(() => {
          messageUp = false;
          crashes.length = 0;
          reload();
        });
      return;
    }
    log(`the window's renderer is gone (${details.reason}, exit code ${details.exitCode}): reloading`);
    reload();
  });
}
