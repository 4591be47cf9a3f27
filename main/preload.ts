// The whole bridge: exactly what the IPC schema derives, as `window.kubejoin`.
// Sandboxed preload (bundled to CommonJS): only `electron`'s renderer modules are available.
import { contextBridge, ipcRenderer } from 'electron';
import { createRendererApi } from '../agent/contract/ipc.js';

contextBridge.exposeInMainWorld('kubejoin', createRendererApi(ipcRenderer));
