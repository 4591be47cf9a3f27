// Serves dist/renderer over loopback HTTP with the app's CSP, as main's kubejoin:// does.
// The files are read once at start, so a concurrent rebuild of dist/ cannot pull them away
// from under a running test.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTENT_SECURITY_POLICY } from '../../../main/app-protocol.js';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export async function serveDir(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const bodies = new Map<string, Buffer>();
  for (const name of Object.keys(FILES)) bodies.set(name, await readFile(`${dir}/${name}`));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const name = path === '/' ? 'index.html' : path.slice(1);
    const body = bodies.get(name);
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': FILES[name]!, 'content-security-policy': CONTENT_SECURITY_POLICY }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/index.html`, close: () => new Promise((r) => server.close(() => r())) };
}
