// A front end of our own before the REAL apiserver, as a load balancer would stand: it
// terminates TLS with the apiserver's own serving certificate (so the pinned CA verifies
// it), forwards every request, and injects the transient faults a test scripts: an HTTP
// status instead of the answer, a reset in the middle of the body, a watch that breaks, and
// the ways a proxy mangles streaming answers (a watch held silent after its headers, events
// held until a buffer fills, every watch closed after a while).
import https from 'node:https';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../../harness/index.js';

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** Forward, then cut the connection after half of the answer's body. */
  | { kind: 'reset-mid-body' }
  /** Forward the request (the apiserver acts on it), then reset before any answer. */
  | { kind: 'lose-answer' }
  /** A watch: its headers, then nothing ever (until the client goes). */
  | { kind: 'silent-watch' }
  /** A watch: events only when `bytes` of them are held (a proxy buffering responses), the rest at its end. */
  | { kind: 'buffer-watch'; bytes: number }
  /** A watch: forwarded, and ended cleanly after `ms`. */
  | { kind: 'close-watch'; ms: number };

export interface FrontOptions {
  /**
   * A client that presents a certificate is forwarded as itself: the front authenticates with
   * the cluster's admin certificate and impersonates the certificate's CN and O (a
   * TLS-terminating front cannot pass a client certificate on). Without it, once a certificate
   * has been issued through the front, new connections pass through as raw TCP.
   */
  impersonate?: boolean;
}

export interface Front {
  endpoint: string;
  server: string;
  /** "METHOD path" of every request, the fault injected (if any), and when it came. */
  log: { request: string; fault?: Fault['kind']; at: number }[];
  close(): Promise<void>;
}

/** `faults(request, n)`: the fault for the n-th (1-based) request matching the same key, or undefined to pass. */
export type FaultPlan = (method: string, path: string, n: number) => Fault | undefined;

export async function faultyFront(cluster: ClusterHandle, plan: FaultPlan, opts: FrontOptions = {}): Promise<Front> {
  const read = (f: string): Promise<string> => readFile(join(cluster.stateDir, f), 'utf8');
  const [cert, key, adminCert, adminKey] = await Promise.all([read('apiserver.crt'), read('apiserver.key'), read('admin.crt'), read('admin.key')]);
  const upstream = new URL(cluster.server);
  const seen = new Map<string, number>();
  const log: Front['log'] = [];
  let issued = false;
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, fault: Fault | undefined): void => {
    const as = opts.impersonate ? identityOf(req) : undefined;
    const headers = { ...req.headers, host: upstream.host, ...(as ? { 'impersonate-user': as.user, 'impersonate-group': as.groups } : {}) };
    const up = https.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        ca: cluster.caPem,
        ...(as ? { cert: adminCert, key: adminKey } : {}),
      },
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
        if (fault && mangleWatch(fault, answer, res)) return;
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
  const server = https.createServer({ cert, key, ...(opts.impersonate ? { requestCert: true, rejectUnauthorized: false } : {}) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const watch = (req.url ?? '').includes('watch=true');
      const keyOf = `${req.method} ${path}${watch ? ' (watch)' : ''}`;
      const n = (seen.get(keyOf) ?? 0) + 1;
      seen.set(keyOf, n);
      const fault = plan(req.method ?? 'GET', `${path}${watch ? '?watch' : ''}`, n);
      log.push({ request: keyOf, ...(fault ? { fault: fault.kind } : {}), at: Date.now() });
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
    if (!issued || opts.impersonate) return void server.emit('connection', socket);
    log.push({ request: 'TCP pass-through', at: Date.now() });
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

/** The identity in the client certificate a connection presented, if any (and no token sent). */
function identityOf(req: IncomingMessage): { user: string; groups: string[] } | undefined {
  if (req.headers.authorization) return undefined;
  const peer = (req.socket as TLSSocket).getPeerCertificate();
  if (!peer?.subject?.CN) return undefined;
  const o = peer.subject.O;
  return { user: String(peer.subject.CN), groups: o === undefined ? [] : Array.isArray(o) ? o.map(String) : [String(o)] };
}

/** Applies a watch fault to a 200 watch answer; false when it is not one (forward as usual). */
function mangleWatch(fault: Fault, answer: IncomingMessage, res: ServerResponse): boolean {
  if (answer.statusCode !== 200) return false;
  if (fault.kind === 'silent-watch') {
    res.flushHeaders();
    answer.resume(); // read and dropped; the client waits for ever
    return true;
  }
  if (fault.kind === 'buffer-watch') {
    res.flushHeaders();
    let held: Buffer[] = [];
    let size = 0;
    answer.on('data', (d: Buffer) => {
      held.push(d);
      size += d.length;
      if (size < fault.bytes) return;
      res.write(Buffer.concat(held));
      held = [];
      size = 0;
    });
    answer.on('end', () => res.end(Buffer.concat(held)));
    return true;
  }
  if (fault.kind === 'close-watch') {
    const timer = setTimeout(() => (answer.unpipe(res), res.end(), answer.destroy()), fault.ms);
    answer.on('end', () => clearTimeout(timer));
    answer.on('close', () => clearTimeout(timer));
    answer.pipe(res, { end: true });
    return true;
  }
  return false;
}
