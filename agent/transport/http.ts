import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { installProxy, type ProxyConfig } from './proxy.js';

// The only HTTP client on the join path: node:https with one keep-alive agent per
// trust context (unverified discovery, pinned CA + token, pinned CA + client cert).

export interface Trust {
  /** PEM CA bundle to verify the server with. Absent with `insecure`. */
  ca?: string;
  /** Skip server verification (only for the anonymous first cluster-info fetch). */
  insecure?: boolean;
  /** Client certificate and key (PEM) for mTLS. */
  cert?: string;
  key?: string;
  /** Egress proxy (HTTP CONNECT): the TLS above stays end to end (proxy.ts). */
  proxy?: ProxyConfig | undefined;
}

/** A private agent (client-certificate connections of one join); destroy it when done. */
export function createAgent(trust: Trust): https.Agent {
  const agent = new https.Agent({
    keepAlive: true,
    secureContext: tls.createSecureContext({ ca: trust.ca, cert: trust.cert, key: trust.key }),
    rejectUnauthorized: !trust.insecure,
  });
  installProxy(agent, trust.proxy);
  return agent;
}

const shared = new Map<string, https.Agent>();

/** Sockets per host for short requests: many joins at once queue and reuse them. */
const SHORT_REQUEST_SOCKETS = 16;

/**
 * The process-wide keep-alive agent for a trust context without client credentials
 * (unverified, or one CA bundle), shared by the phases and joins of this process: one
 * TLS context, and connections reused instead of new handshakes. Short requests share at
 * most SHORT_REQUEST_SOCKETS sockets per host; watches, which hold their connection until
 * the certificate is issued, get an uncapped agent of their own (`purpose: 'watch'`), so
 * waiting joins never starve the others. Idle sockets do not keep the process alive.
 */
export function sharedAgent(trust: ({ insecure: true } | { ca: string }) & { proxy?: ProxyConfig | undefined }, purpose: 'request' | 'watch' = 'request'): https.Agent {
  const key = `${purpose}:${'insecure' in trust ? 'insecure' : `ca:${trust.ca}`}${trust.proxy ? `|proxy:${trust.proxy.key}` : ''}`;
  let agent = shared.get(key);
  if (!agent) {
    agent = new https.Agent({
      keepAlive: true,
      ...(purpose === 'request' ? { maxSockets: SHORT_REQUEST_SOCKETS } : {}),
      ...('insecure' in trust ? { rejectUnauthorized: false } : { secureContext: tls.createSecureContext({ ca: trust.ca }) }),
    });
    installProxy(agent, trust.proxy);
    shared.set(key, agent);
  }
  return agent;
}

/** Closes every shared agent's connections (the CLI calls it before exiting). */
export function closeSharedAgents(): void {
  for (const agent of shared.values()) agent.destroy();
  shared.clear();
}

export interface Request {
  url: string;
  agent: https.Agent;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Bearer token. Never sent on an unverified connection (checked here). */
  bearer?: string;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface Response {
  status: number;
  body: string;
  /** The server's Date header (unauthenticated: only for explaining clock trouble). */
  date?: string;
}

/** A transport failure (no HTTP answer): connection refused, TLS error, timeout. */
export class TransportError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'TransportError';
    this.code = code;
  }
}

function open(req: Request): Promise<IncomingMessage> {
  const insecure = (req.agent.options as { rejectUnauthorized?: boolean }).rejectUnauthorized === false;
  if (insecure && req.bearer !== undefined) {
    // docs/protocol.md §3.1: nothing secret on an unverified connection.
    throw new Error('refusing to send a token over an unverified connection');
  }
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'kubejoin' };
  if (payload) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  if (req.bearer !== undefined) headers.Authorization = `Bearer ${req.bearer}`;
  return new Promise((resolve, reject) => {
    const r = https.request(req.url, { method: req.method ?? 'GET', agent: req.agent, headers, signal: req.signal });
    r.setTimeout(req.timeoutMs, () => r.destroy(Object.assign(new Error(`no answer within ${req.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    r.on('response', resolve);
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (req.signal?.aborted) reject(req.signal.reason);
      else reject(new TransportError(describeTransportError(err), err.code, err));
    });
    r.end(payload);
  });
}

export function describeTransportError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ETIMEDOUT':
      return err.message;
    case 'ECONNRESET':
      return 'connection reset by the server';
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

/** One request, whole body as text. */
export async function request(req: Request): Promise<Response> {
  const res = await open(req);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const date = res.headers.date;
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ...(date ? { date } : {}) };
}

/**
 * A streaming request (a Kubernetes watch): yields each JSON line. Ends when the server
 * closes the stream. A non-200 answer is returned as `{status, body}` in the first item.
 */
export async function* stream(req: Request): AsyncGenerator<{ status: number; line?: string; body?: string }> {
  const res = await open(req);
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    yield { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
    return;
  }
  let buffered = '';
  try {
    for await (const chunk of res) {
      buffered += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield { status: 200, line };
      }
    }
  } catch {
    if (req.signal?.aborted) throw req.signal.reason;
    // A dropped watch is not an error: the caller re-watches.
  }
  if (buffered.trim()) yield { status: 200, line: buffered.trim() };
}

/** The `message` of a Kubernetes Status body, if it is one. */
export function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: string; message?: string };
    return parsed.kind === 'Status' && typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

/** Node's (OpenSSL's) error codes for a server certificate that failed verification. */
export function isTlsVerificationCode(code: string | undefined): boolean {
  return /CERT|SIGNATURE|ALTNAME|SELF_SIGNED|ISSUER|ERR_TLS|ERR_SSL_/.test(code ?? '');
}

export function isTlsVerificationError(err: TransportError): boolean {
  return isTlsVerificationCode(err.code);
}
