// A front end of our own before the REAL apiserver, as a load balancer would stand: it
// terminates TLS with the apiserver's own serving certificate (so the pinned CA verifies
// it), forwards every request, and injects the transient faults a test scripts: an HTTP
// status instead of the answer, a reset in the middle of the body, a watch that breaks.
import https from 'node:https';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../../harness/index.js';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** Forward, then cut the connection after half of the answer's body. */
  | { kind: 'reset-mid-body' }
  /** Forward the request (the apiserver acts on it), then reset before any answer. */
  | { kind: 'lose-answer' };

export interface Front {
  endpoint: string;
  server: string;
  /** "METHOD path" of every request, and the fault injected (if any). */
  log: { request: string; fault?: Fault['kind'] }[];
  close(): Promise<void>;
}

/** `faults(request, n)`: the fault for the n-th (1-based) request matching the same key, or undefined to pass. */
export type FaultPlan = (method: string, path: string, n: number) => Fault | undefined;

export async function faultyFront(cluster: ClusterHandle, plan: FaultPlan): Promise<Front> {
  const [cert, key] = await Promise.all([readFile(join(cluster.stateDir, 'apiserver.crt'), 'utf8'), readFile(join(cluster.stateDir, 'apiserver.key'), 'utf8')]);
  const upstream = new URL(cluster.server);
  const seen = new Map<string, number>();
  const log: Front['log'] = [];
  let issued = false;
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, fault: Fault | undefined): void => {
    const up = https.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, ca: cluster.caPem },
      (answer) => {
        if (fault?.kind === 'lose-answer') {
          answer.resume();
          return void req.socket.destroy();
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (fault?.kind === 'reset-mid-body') {
          const chunks: Buffer[] = [];
          answer.on('data', (d: Buffer) => chunks.push(d));
          answer.on('end', () => {
            const all = Buffer.concat(chunks);
            res.write(all.subarray(0, Math.max(1, all.length >> 1)));
            setTimeout(() => req.socket.destroy(), 20);
          });
          // A watch never ends by itself: cut it after its first bytes.
          answer.once('data', () => setTimeout(() => (req.socket.destroy(), up.destroy()), 100));
          return;
        }
        answer.on('data', (d: Buffer) => {
          // Once the issued certificate went out, new connections (the client-certificate
          // SelfSubjectReview, which a TLS-terminating front cannot forward) pass through.
          if (d.includes('"certificate":')) issued = true;
        });
        answer.pipe(res);
      },
    );
    up.on('error', () => req.socket.destroy());
    req.socket.on('close', () => up.destroy());
    up.end(body);
  };
  const server = https.createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const watch = (req.url ?? '').includes('watch=true');
      const keyOf = `${req.method} ${path}${watch ? ' (watch)' : ''}`;
      const n = (seen.get(keyOf) ?? 0) + 1;
      seen.set(keyOf, n);
      const fault = plan(req.method ?? 'GET', `${path}${watch ? '?watch' : ''}`, n);
      log.push({ request: keyOf, ...(fault ? { fault: fault.kind } : {}) });
      if (fault?.kind === 'status') {
        res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
        return void res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `injected ${fault.status}`, code: fault.status }));
      }
      forward(req, res, Buffer.concat(chunks), fault);
    });
  });
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (!issued) return void server.emit('connection', socket);
    log.push({ request: 'TCP pass-through' });
    const up = net.connect(Number(upstream.port), upstream.hostname);
    up.on('error', () => socket.destroy());
    socket.on('close', () => up.destroy());
    socket.pipe(up).pipe(socket);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  const port = (front.address() as net.AddressInfo).port;
  return {
    endpoint: `127.0.0.1:${port}`,
    server: `https://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        front.close(() => r());
      }),
  };
}
