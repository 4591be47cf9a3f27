import { APP_ORIGIN } from './app-protocol.js';
import type { InvokeEventLike, WindowLike } from './electron-api.js';
import type { SenderCheck } from './ipc-handlers.js';

/**
 * Only our window's main frame, showing our own page, may call main. Returns why a caller
 * is refused, or undefined.
 */
export function ourWindowOnly(getWindow: () => WindowLike | undefined): SenderCheck {
  return (event: InvokeEventLike) => {
    const window = getWindow();
    if (!window || window.isDestroyed() || event.sender !== window.webContents) return 'the caller is not the kubejoin window';
    const frame = event.senderFrame;
    if (frame === null || frame.parent !== null) return 'the caller is not the main frame of the kubejoin window';
    if (!isAppUrl(frame.url)) return 'the caller does not show the kubejoin page';
    return undefined;
  };
}

export function isAppUrl(url: string): boolean {
  try {
    // A custom scheme has an opaque origin in WHATWG URL terms: compare scheme and host.
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}
