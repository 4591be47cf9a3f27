// Hardening that applies to every web contents and to the session: no navigation, no new
// windows (allowlisted links open in the system browser), no webviews, no permissions.
import { APP_ORIGIN } from './app-protocol.js';
import type { SessionLike, WebContentsLike } from './electron-api.js';

/** Links the window may open in the system browser (exact origin, path prefix). */
export const EXTERNAL_ALLOWLIST: readonly string[] = ['https://kubernetes.io/docs/'];

export function isAllowedExternalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return false;
  const normalized = `${u.origin}${u.pathname}`;
  return EXTERNAL_ALLOWLIST.some((prefix) => normalized === prefix || normalized.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

/** The one place a link leaves the app: only allowlisted https URLs reach the system browser. */
export function openAllowlistedLink(shell: { openExternal(url: string): Promise<void> }, url: string, log: (line: string) => void): void {
  if (!isAllowedExternalUrl(url)) {
    log(`blocked new window for ${url}`);
    return;
  }
  // The URL passed isAllowedExternalUrl just above (https, exact origin and path prefix).
  shell.openExternal(url).catch((err: unknown) => log(`could not open ${url}: ${String(err)}`)); /* eng-disable OPEN_EXTERNAL_JS_CHECK */
}

export interface HardenOptions {
  /** Where a link that asked for a new window goes (none in kiosk mode: it is only denied). */
  onExternalLink?: (url: string) => void;
  /** Devtools are never allowed to open (kiosk, packaged app). */
  forbidDevTools: boolean;
  log: (line: string) => void;
}

export function hardenContents(contents: WebContentsLike, opts: HardenOptions): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    opts.log(`blocked navigation to ${url}`);
  });
  contents.on('will-redirect', (event, url) => {
    event.preventDefault();
    opts.log(`blocked redirect to ${url}`);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (opts.onExternalLink) opts.onExternalLink(url);
    else opts.log(`blocked new window for ${url}`);
    return { action: 'deny' };
  });
  if (opts.forbidDevTools) contents.on('devtools-opened', () => contents.closeDevTools());
}

/** Every permission is refused, except writing plain text to the clipboard from our page. */
export function permissionAllowed(permission: string, origin: string): boolean {
  return permission === 'clipboard-sanitized-write' && origin.replace(/\/$/, '') === APP_ORIGIN;
}

export function hardenSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(permissionAllowed(permission, originOf(details.requestingUrl ?? '')));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permissionAllowed(permission, originOf(requestingOrigin)));
}

function originOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '';
  }
}
