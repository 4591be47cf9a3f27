// Electron entry point: hands the real `electron` module and the engine to startApp.
import { existsSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { BrowserWindow, Menu, app, dialog, ipcMain, protocol, session, shell, utilityProcess } from 'electron';
import { getDeviceFacts, join, parseJoinCommand, proxyInUse, runCliProcess, runDoctor, setKeychainHelperLauncher } from '../agent/index.js';
import { startApp } from './app.js';
import { cliModeArgs, runCliMode } from './cli-mode.js';
import { utilityProcessLauncher } from './keychain-launcher.js';
import type { ElectronApi } from './electron-api.js';

const electronApi: ElectronApi = {
  app,
  ipcMain,
  protocol,
  shell,
  Menu,
  // Only our own windows (made by createWindow below) are ever passed in.
  dialog: { showMessageBox: (win, options) => dialog.showMessageBox(win as BrowserWindow, options) },
  defaultSession: () => session.defaultSession,
  // Whatever app.ts asks for, the real window always gets the secure preferences. They are
  // spelled out here, not spread from window.ts: electronegativity (a static scanner, see its
  // test) only credits flags written literally at the BrowserWindow construction.
  createWindow: (options) =>
    new BrowserWindow({
      ...options,
      webPreferences: {
        ...options.webPreferences,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        experimentalFeatures: false,
        webviewTag: false,
        disableBlinkFeatures: 'Auxclick',
      },
    }),
};

// Bundled to dist/main/main.cjs: the page is in dist/renderer, the preload and the keychain
// helper beside us.
const keychainLauncher = () => utilityProcessLauncher(utilityProcess, joinPath(__dirname, 'keychain-helper.cjs'));
const cliArgs = cliModeArgs(process.argv.slice(1));
if (cliArgs) {
  // `<app> --kubejoin-cli <command>`: the CLI, no window (kubectl's exec plugin on macOS and Windows).
  void runCliMode(app, { runCliProcess, setKeychainHelperLauncher }, keychainLauncher, cliArgs, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
  });
} else {
  startApp(
    electronApi,
    { join, parseJoinCommand, getDeviceFacts, runDoctor, proxyInUse, setKeychainHelperLauncher },
    {
      argv: process.argv.slice(1),
      rendererDir: joinPath(__dirname, '..', 'renderer'),
      preloadPath: joinPath(__dirname, 'preload.cjs'),
      platform: process.platform,
      execPath: process.execPath,
      keychainLauncher,
      env: process.env,
      fileExists: existsSync,
      log: (line) => process.stderr.write(`kubejoin: ${line}\n`),
    },
  );
}
