// The one window: secure web preferences always; kiosk options on top when asked.
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import type { ElectronApi, WindowLike } from './electron-api.js';
import { kioskWindowOptions } from './kiosk.js';

/** The renderer is a web page with a narrow bridge: no Node, isolated, sandboxed. */
export function secureWebPreferences(preloadPath: string, devTools: boolean): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    disableBlinkFeatures: 'Auxclick',
    devTools,
  };
}

export interface MainWindowOptions {
  preloadPath: string;
  kiosk: boolean;
  devTools: boolean;
}

export function mainWindowOptions(opts: MainWindowOptions): BrowserWindowConstructorOptions {
  return {
    title: 'kubejoin',
    width: 980,
    height: 760,
    minWidth: 560,
    minHeight: 480,
    show: false,
    autoHideMenuBar: true,
    ...(opts.kiosk ? kioskWindowOptions() : {}),
    webPreferences: secureWebPreferences(opts.preloadPath, opts.devTools && !opts.kiosk),
  };
}

export function createMainWindow(api: ElectronApi, opts: MainWindowOptions, url: string): WindowLike {
  const window = api.createWindow(mainWindowOptions(opts));
  if (opts.kiosk) window.removeMenu();
  window.once('ready-to-show', () => window.show());
  void window.loadURL(url);
  return window;
}

/** Bring the existing window forward (a second instance was started). */
export function focusWindow(window: WindowLike | undefined): void {
  if (!window || window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
