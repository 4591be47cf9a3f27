// The preload exposes exactly what the IPC schema derives; this is its type.
import type { RendererApi } from '../agent/contract/ipc.js';

declare global {
  interface Window {
    kubejoin: RendererApi;
  }
}

export function bridge(): RendererApi {
  return window.kubejoin;
}
