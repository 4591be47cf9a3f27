import https from 'node:https';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { connect, secureContextOf, type TrustContext } from './connect.js';
import type { StageDeadlines } from './deadlines.js';
import type { TransportError } from './errors.js';
import { openTunnel, proxyFor, type ProxyConfig } from './proxy.js';
import type { Progress } from './deadlines.js';

// Keep-alive agents whose every new connection goes through connect(): DNS, TCP and TLS
// bounded, the trust context's CA only, `rejectUnauthorized` explicit. One process-wide
// agent per trust context is shared by the phases and joins of this process.

export interface Trust {
  /** PEM CA bundle: the only trust (pinned). */
  ca?: string;
  /** Skip server verification (only for the anonymous first cluster-info fetch). */
  insecure?: boolean;
  /** Client certificate and key (PEM) for mTLS. */
  cert?: string;
  key?: string;
  /** Egress proxy (HTTP CONNECT): the TLS above stays end to end (proxy.ts). */
  proxy?: ProxyConfig | undefined;
}

/** Per-request data the agent's connect() gets (passed through the request options). */
export interface ConnectHints {
  signal?: AbortSignal;
  progress?: Progress;
  deadlines?: StageDeadlines;
}

export function trustContextOf(trust: Trust): TrustContext {
  if (trust.insecure) return { kind: 'unverified' };
  if (trust.ca !== undefined) return { kind: 'pinned', ca: trust.ca, ...(trust.cert ? { cert: trust.cert } : {}), ...(trust.key ? { key: trust.key } : {}) };
  return { kind: 'system' };
}

/**
 * At most `limit` requests in flight per host, the rest wait in order. Node's Agent counts a
 * socket only once it exists, so with connect() being asynchronous its maxSockets alone would
 * let a burst (a fleet of joins) open one connection per request; the slots keep it at the limit.
 */
class Slots {
  private readonly busy = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  constructor(private readonly limit: number) {}

  /** Resolves with a release function once a slot for `host` is free; rejects if `signal` aborts first. */
  acquire(host: string, signal: AbortSignal | undefined, onAbort: () => Error): Promise<() => void> {
    const release = (): void => {
      const next = this.waiting.get(host)?.shift();
      if (next) return next();
      this.busy.set(host, (this.busy.get(host) ?? 1) - 1);
    };
    const once = (): (() => void) => {
      let done = false;
      return () => {
        if (!done) release();
        done = true;
      };
    };
    if ((this.busy.get(host) ?? 0) < this.limit) {
      this.busy.set(host, (this.busy.get(host) ?? 0) + 1);
      return Promise.resolve(once());
    }
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(host) ?? [];
      this.waiting.set(host, queue);
      const grant = (): void => {
        signal?.removeEventListener('abort', abort);
        resolve(once());
      };
      const abort = (): void => {
        const i = queue.indexOf(grant);
        if (i >= 0) queue.splice(i, 1);
        reject(onAbort());
      };
      if (signal?.aborted) return reject(onAbort());
      signal?.addEventListener('abort', abort, { once: true });
      queue.push(grant);
    });
  }
}

export class TrustAgent extends https.Agent {
  readonly trust: TrustContext;
  /** Requests in flight per host (unlimited unless maxSockets is set). */
  readonly slots: Slots | undefined;
  private readonly context: tls.SecureContext | undefined;

  /**
   * `sessions`: TLS sessions to resume, by host:port. Only agents of the same trust context
   * and route (and no client credentials) may share one map: a session is resumed only under
   * the trust that verified its full handshake.
   */
  constructor(
    trust: TrustContext,
    options: https.AgentOptions = {},
    private readonly proxy: ProxyConfig | undefined = undefined,
    private readonly sessions = new Map<string, Buffer>(),
  ) {
    super({ keepAlive: true, ...options, rejectUnauthorized: trust.kind !== 'unverified' });
    this.trust = trust;
    this.context = secureContextOf(trust);
    this.slots = options.maxSockets !== undefined && Number.isFinite(options.maxSockets) ? new Slots(options.maxSockets) : undefined;
  }

  /** True when a request may carry a secret: the peer is verified (pinned CA or system trust). */
  get verifies(): boolean {
    return this.trust.kind !== 'unverified';
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = String(options.host ?? 'localhost');
    const port = Number(options.port ?? 443);
    const hints = (options as { kubejoin?: ConnectHints }).kubejoin ?? {};
    const key = `${host}:${port}`;
    const session = this.sessions.get(key);
    // Through the proxy where its configuration (NO_PROXY) says so: the same TLS, inside a tunnel.
    const via = proxyFor(this.proxy, host, port);
    const tunnel = via ? { tunnel: () => openTunnel(via, host, port, hints.deadlines?.connect) } : {};
    connect(this.trust, host, port, { ...hints, ...(session ? { session } : {}), ...tunnel }, this.context).then(
      (socket) => {
        socket.on('session', (s: Buffer) => this.sessions.set(key, s));
        callback?.(null, socket);
      },
      (err: TransportError) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** A private agent (client-certificate connections of one join); destroy it when done. */
export function createAgent(trust: Trust): TrustAgent {
  return new TrustAgent(trustContextOf(trust), {}, trust.proxy);
}

const shared = new Map<string, TrustAgent>();
/** TLS sessions per trust context and route, shared by its request and watch agents. */
const sharedSessions = new Map<string, Map<string, Buffer>>();

/**
 * Sockets per host for short requests: many joins at once queue and reuse them. 64, not 16:
 * with the sessions resumed, a fleet's CSRs reach the apiserver in larger batches, which costs
 * etcd and the apiserver less per join and ends the fleet sooner (docs/performance.md, "The
 * one-process fleet"); still far below the apiserver's default 400 requests in flight.
 */
const SHORT_REQUEST_SOCKETS = 64;

/**
 * The process-wide keep-alive agent for a trust context without client credentials
 * (unverified, one CA bundle, or the system store), shared by the phases and joins of this
 * process. Short requests share at most SHORT_REQUEST_SOCKETS sockets per host; watches get
 * an uncapped agent of their own (`purpose: 'watch'`), so waiting joins never starve others.
 */
export function sharedAgent(
  trust: ({ insecure: true } | { ca: string } | { system: true }) & { proxy?: ProxyConfig | undefined },
  purpose: 'request' | 'watch' = 'request',
): TrustAgent {
  const context: TrustContext = 'insecure' in trust ? { kind: 'unverified' } : 'ca' in trust ? { kind: 'pinned', ca: trust.ca } : { kind: 'system' };
  const route = `${context.kind}:${context.kind === 'pinned' ? context.ca : ''}${trust.proxy ? `|proxy:${trust.proxy.key}` : ''}`;
  const key = `${purpose}:${route}`;
  let agent = shared.get(key);
  if (!agent) {
    // A watch resumes the session its join's requests made (one full handshake fewer per join).
    let sessions = sharedSessions.get(route);
    if (!sessions) sharedSessions.set(route, (sessions = new Map()));
    agent = new TrustAgent(context, purpose === 'request' ? { maxSockets: SHORT_REQUEST_SOCKETS } : {}, trust.proxy, sessions);
    shared.set(key, agent);
  }
  return agent;
}

/** Closes every shared agent's connections (the CLI calls it before exiting). */
export function closeSharedAgents(): void {
  for (const agent of shared.values()) agent.destroy();
  shared.clear();
  sharedSessions.clear();
}
