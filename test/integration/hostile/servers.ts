// Attackers on loopback, each recording what reached it: raw TLS servers with a foreign
// certificate that answer however a test scripts them, and plain TCP servers.
import net from 'node:net';
import tls from 'node:tls';
import { foreignCertificate } from '../../helpers/hostile-servers.js';

export interface Recorder {
  endpoint: string;
  port: number;
  /** Every Authorization header value seen (must stay empty: the token is never sent). */
  authorizations: string[];
  /** Request lines seen ("GET /path"). */
  requests: string[];
  close(): Promise<void>;
}

const cert = foreignCertificate();

/** Reads one request head from `socket`; resolves with it (or undefined at close). */
function head(socket: net.Socket, rec: Recorder): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0 && buf.length < 65536) return;
      socket.off('data', onData);
      const text = buf.slice(0, end < 0 ? buf.length : end);
      rec.requests.push(text.split('\r\n')[0] ?? '');
      for (const line of text.split('\r\n')) {
        const m = /^authorization:\s*(.*)$/i.exec(line);
        if (m) rec.authorizations.push(m[1]!);
      }
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('close', () => resolve(undefined));
  });
}

function track(server: net.Server, sockets: Set<net.Socket>, endpointOf: () => number, rec: Omit<Recorder, 'endpoint' | 'port' | 'close'>): Recorder {
  const port = endpointOf();
  return {
    ...rec,
    endpoint: `127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  } as Recorder;
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** A TLS server (foreign certificate) that hands the socket to `answer` after reading each request head. */
export async function tlsServer(answer: (socket: tls.TLSSocket, head: string) => void): Promise<Recorder> {
  const sockets = new Set<net.Socket>();
  const rec = { authorizations: [] as string[], requests: [] as string[] };
  const server = tls.createServer(cert, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Every request on the connection (keep-alive) gets an answer.
    const next = (): void =>
      void head(socket, rec as Recorder).then((h) => {
        if (h === undefined || socket.destroyed) return;
        answer(socket, h);
        next();
      });
    next();
  });
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  return track(server, sockets, () => port, rec);
}

/** A plain TCP server: `onConnect` gets each socket (e.g. never answer, speak plain HTTP, send garbage). */
export async function tcpServer(onConnect: (socket: net.Socket) => void): Promise<Recorder> {
  const sockets = new Set<net.Socket>();
  const rec = { authorizations: [] as string[], requests: [] as string[] };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onConnect(socket);
  });
  const port = await listen(server);
  return track(server, sockets, () => port, rec);
}

/** Writes `bytes` one at a time, every `everyMs`, until the socket closes. */
export function drip(socket: net.Socket, bytes: Buffer, everyMs: number): void {
  let i = 0;
  const t = setInterval(() => {
    if (socket.destroyed || i >= bytes.length) return clearInterval(t);
    socket.write(bytes.subarray(i, ++i));
  }, everyMs);
  socket.once('close', () => clearInterval(t));
}

/** Writes `chunk` as fast as the socket drains, forever (until it closes). */
export function flood(socket: net.Socket, chunk: Buffer): void {
  const pump = (): void => {
    while (!socket.destroyed && socket.write(chunk));
  };
  socket.on('drain', pump);
  pump();
}

/**
 * A TCP relay to `target` (a TLS server) that forwards the server's bytes one every
 * `everyMs` ms: a TLS handshake that crawls.
 */
export async function slowHandshake(targetPort: number, everyMs: number): Promise<Recorder> {
  return tcpServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    const pending: Buffer[] = [];
    upstream.on('data', (d: Buffer) => pending.push(d));
    const t = setInterval(() => {
      const next = pending[0];
      if (!next) return;
      client.write(next.subarray(0, 1));
      if (next.length > 1) pending[0] = next.subarray(1);
      else pending.shift();
    }, everyMs);
    client.once('close', () => clearInterval(t));
  });
}
