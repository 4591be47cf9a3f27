import net from 'node:net';
import tls from 'node:tls';
import { DEFAULT_DEADLINES, StageTimer, type Progress, type StageDeadlines } from './deadlines.js';
import { fromNodeError, stalled, TransportError, type Stage } from './errors.js';

// The one place where the join path opens a connection: TCP (DNS and connect bounded),
// then TLS (handshake bounded) under one trust context. A verifying context resolves
// only with a socket whose peer verified: the caller writes nothing (no token) before.
// The TCP half is a `Dialer` (direct) or a `tunnel` (a proxy's CONNECT, proxy.ts), under the same TLS.

/** How a server is trusted. `pinned`: only the given CA bundle; `system`: Node's root store. */
export type TrustContext = { kind: 'unverified' } | { kind: 'pinned'; ca: string; cert?: string; key?: string } | { kind: 'system' };

export interface ConnectOptions {
  signal?: AbortSignal;
  progress?: Progress;
  deadlines?: StageDeadlines;
  /** A TLS session of an earlier connection to the same server (resumption). */
  session?: Buffer;
  /** Opens the TCP stream (default: a direct connection). */
  dial?: Dialer;
  /**
   * A stream already opened another way (an HTTP CONNECT tunnel through a proxy): the connect
   * stage lasts until it resolves, and TLS with this trust runs inside it, end to end.
   */
  tunnel?: () => Promise<net.Socket>;
}

/** Opens a byte stream to host:port; `onConnecting` is called when DNS is done. */
export type Dialer = (host: string, port: number, onResolved: () => void) => net.Socket;

export const directDialer: Dialer = (host, port, onResolved) => {
  const socket = net.connect({ host, port });
  socket.once('lookup', onResolved);
  return socket;
};

const contexts = new Map<string, tls.SecureContext>();
let unverifiedContext: tls.SecureContext | undefined;

/**
 * The TLS context of a trust: built from the pinned CA only (so NODE_EXTRA_CA_CERTS and the
 * system store never widen a pin), cached per bundle without client credentials. The
 * unverified discovery connection verifies nothing (docs/protocol.md §3.1), so its context has no
 * CA at all: Node's default context would parse its whole bundled root store for it.
 */
export function secureContextOf(trust: TrustContext): tls.SecureContext | undefined {
  if (trust.kind === 'unverified') return (unverifiedContext ??= tls.createSecureContext({ ca: [] }));
  if (trust.kind !== 'pinned') return undefined;
  if (trust.cert || trust.key)
    return tls.createSecureContext({ ca: trust.ca, ...(trust.cert ? { cert: trust.cert } : {}), ...(trust.key ? { key: trust.key } : {}) });
  let ctx = contexts.get(trust.ca);
  if (!ctx) {
    ctx = tls.createSecureContext({ ca: trust.ca });
    contexts.set(trust.ca, ctx);
  }
  return ctx;
}

/** Resolves with a TLS socket whose handshake finished (and, unless unverified, whose peer verified). */
export function connect(
  trust: TrustContext,
  host: string,
  port: number,
  opts: ConnectOptions = {},
  secureContext = secureContextOf(trust),
): Promise<tls.TLSSocket> {
  const deadlines = opts.deadlines ?? DEFAULT_DEADLINES;
  const progress: Progress = opts.progress ?? { stage: 'dns' };
  return new Promise((resolve, reject) => {
    let secure: tls.TLSSocket | undefined;
    let pending: net.Socket | undefined;
    let done = false;
    const finish = (err: TransportError | undefined): void => {
      if (done) return;
      done = true;
      timer.clear();
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        secure?.destroy();
        pending?.destroy();
        reject(err);
      } else {
        resolve(secure!);
      }
    };
    const timer = new StageTimer(progress, (stage, ms) => finish(stalled(stage, `within ${ms} ms`)));
    const onAbort = (): void => finish(stalled(progress.stage, 'before the deadline'));
    if (opts.signal?.aborted) return reject(stalled(progress.stage, 'before the deadline'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const onError = (err: NodeJS.ErrnoException): void => finish(fromNodeError(err, progress.stage));
    const handshake = (tcp: net.Socket): void => {
      if (done) return void tcp.destroy();
      timer.enter('handshake', deadlines.handshake);
      secure = tls.connect({
        socket: tcp,
        host,
        ...(numeric ? {} : { servername: host }),
        ...(secureContext ? { secureContext } : {}),
        ...(opts.session ? { session: opts.session } : {}),
        // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED in the environment changes nothing.
        rejectUnauthorized: trust.kind !== 'unverified',
      });
      secure.once('error', onError);
      secure.once('secureConnect', () => {
        if (trust.kind !== 'unverified' && !secure!.authorized) {
          const code = String(secure!.authorizationError ?? 'UNVERIFIED_PEER');
          return finish(new TransportError(`the server certificate did not verify: ${code}`, code, 'handshake'));
        }
        secure!.removeListener('error', onError);
        tcp.removeListener('error', onError);
        // The HTTP client adds its own listener; this one keeps a late error from being unhandled.
        secure!.on('error', () => undefined);
        finish(undefined);
      });
    };
    const numeric = net.isIP(host) !== 0;
    if (opts.tunnel) {
      timer.enter('connect', deadlines.connect);
      opts.tunnel().then(
        (tcp) => {
          tcp.once('error', onError);
          pending = tcp;
          handshake(tcp);
        },
        (err: Error) => finish(err instanceof TransportError ? err : new TransportError(err.message, (err as NodeJS.ErrnoException).code, 'connect', err)),
      );
      return;
    }
    timer.enter(numeric ? 'connect' : 'dns', numeric ? deadlines.connect : deadlines.dns);
    const tcp = (opts.dial ?? directDialer)(host, port, () => timer.enter('connect', deadlines.connect));
    pending = tcp;
    tcp.once('error', onError);
    tcp.once('connect', () => handshake(tcp));
  });
}

export type { Stage };
