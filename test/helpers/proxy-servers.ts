// HTTP CONNECT proxies of our own, on loopback, for the proxy tests: one that tunnels (and
// resolves names only it knows), one that refuses, and one that intercepts TLS with its own
// certificate (and records every Authorization header that reaches it).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { IncomingHttpHeaders } from 'node:http';

export interface ConnectRecord {
  /** host:port as asked for in CONNECT. */
  target: string;
  proxyAuthorization: string | undefined;
}

export interface TestProxy {
  url: string;
  port: number;
  connects: ConnectRecord[];
  /** Intercepting proxy: the headers of every request it decrypted. */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Where a CONNECT target really goes (the proxy's own "DNS"); default: as asked. */
  resolve?: (target: string) => { host: string; port: number };
  /** Answer every CONNECT with this status instead of tunnelling (e.g. 403, 407). */
  refuse?: number;
  /** Require this Proxy-Authorization value (else 407). */
  requireAuthorization?: string;
  /** An https:// proxy: the client reaches the proxy itself over TLS with this certificate. */
  tls?: { cert: string; key: string };
  /** Terminate TLS with this certificate and relay the decrypted requests to the target. */
  intercept?: { cert: string; key: string };
}

function splitTarget(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  return { host: target.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(target.slice(i + 1)) };
}

export async function startProxy(opts: ProxyOptions = {}): Promise<TestProxy> {
  const connects: ConnectRecord[] = [];
  const seen: IncomingHttpHeaders[] = [];
  const sockets = new Set<net.Socket>();
  const refuse = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.writeHead(405).end('CONNECT only\n');
  const server = opts.tls ? https.createServer(opts.tls, refuse) : http.createServer(refuse);
  server.on(opts.tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? '';
    const auth = req.headers['proxy-authorization'];
    connects.push({ target, proxyAuthorization: auth });
    client.on('error', () => undefined);
    if (opts.refuse) return void client.end(`HTTP/1.1 ${opts.refuse} ${http.STATUS_CODES[opts.refuse] ?? 'No'}\r\n\r\n`);
    if (opts.requireAuthorization !== undefined && auth !== opts.requireAuthorization) {
      return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
    }
    const to = opts.resolve ? opts.resolve(target) : splitTarget(target);
    if (opts.intercept) return intercept(client, head, to, opts.intercept, seen);
    const upstream = net.connect(to.port, to.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    connects,
    seen,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A TLS-intercepting proxy: its own certificate to the client, a relay to the real server. */
function intercept(
  client: net.Socket,
  head: Buffer,
  to: { host: string; port: number },
  cert: { cert: string; key: string },
  seen: IncomingHttpHeaders[],
): void {
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length) client.unshift(head);
  const decrypted = new tls.TLSSocket(client, { isServer: true, cert: cert.cert, key: cert.key });
  decrypted.on('error', () => undefined);
  const relay = http.createServer((req, res) => {
    seen.push(req.headers);
    const up = https.request(
      {
        host: to.host,
        port: to.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: `${to.host}:${to.port}` },
        rejectUnauthorized: false,
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  relay.emit('connection', decrypted);
}
