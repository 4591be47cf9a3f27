// The window's pages come from a privileged custom scheme (kubejoin://app/…) rather than
// file://: one origin for the CSP and the sender checks, and only the four files we ship.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProtocolLike } from './electron-api.js';

export const APP_SCHEME = 'kubejoin';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** The page's policy: our own script and style, nothing else; no network from the page. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Must run before the app is ready. */
export function registerAppScheme(protocol: ProtocolLike): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
}

/** Answers kubejoin://app/<asset> from `rendererDir`; anything else is a 404. */
export function appAssetHandler(rendererDir: string): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const asset = url.host === 'app' && request.method === 'GET' ? ASSETS[url.pathname] : undefined;
    if (!asset) return new Response('not found', { status: 404 });
    const body = await readFile(join(rendererDir, asset.file));
    return new Response(new Uint8Array(body), {
      headers: {
        'content-type': asset.type,
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
    });
  };
}

export function serveApp(protocol: ProtocolLike, rendererDir: string): void {
  protocol.handle(APP_SCHEME, appAssetHandler(rendererDir));
}
