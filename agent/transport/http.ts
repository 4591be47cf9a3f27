import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { TrustAgent, type ConnectHints } from './agents.js';
import { LineSplitter, LIMITS, readBounded } from './body.js';
import { DEFAULT_DEADLINES, StageTimer, type Progress, type StageDeadlines } from './deadlines.js';
import { BodyLimitError, fromNodeError, stalled, TransportError } from './errors.js';

// The only HTTP client on the join path: requests and watch streams over TrustAgents
// (agents.ts), every stage bounded, every body capped, a token only on a verified socket.

export { closeSharedAgents, createAgent, sharedAgent, TrustAgent, type Trust } from './agents.js';
export { BodyLimitError, describeTransportError, isTlsVerificationCode, isTlsVerificationError, TransportError, type Stage } from './errors.js';
export { LIMITS } from './body.js';

export interface Request {
  url: string;
  agent: TrustAgent;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Bearer token. Written only on a socket whose peer verified (checked here). */
  bearer?: string;
  body?: unknown;
  /** The request's total deadline. */
  timeoutMs: number;
  /** Aborts the request in whatever stage it is (the caller's deadline or cancel). */
  signal?: AbortSignal;
  /** Cap of the response body (default 1 MiB). */
  limit?: number;
  /** What the body is, for the over-the-cap message (default: "the response"). */
  what?: string;
  deadlines?: StageDeadlines;
}

export interface Response {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
  /** The server's Date header (unauthenticated: only for explaining clock trouble). */
  date?: string;
}

interface Opened {
  res: IncomingMessage;
  /** Ends the request's timers and abort listener (once the body is read or dropped). */
  done(): void;
}

async function open(req: Request, bodyDeadline: boolean): Promise<Opened> {
  // Queued for a slot counts as the connect stage (the caller's deadline still applies).
  const release = req.agent.slots
    ? await req.agent.slots.acquire(new URL(req.url).host, req.signal, () => stalled('connect', 'before the deadline (waiting for a free connection)'))
    : undefined;
  try {
    const opened = await openNow(req, bodyDeadline);
    const done = opened.done;
    return { res: opened.res, done: () => (done(), release?.()) };
  } catch (err) {
    release?.();
    throw err;
  }
}

function openNow(req: Request, bodyDeadline: boolean): Promise<Opened> {
  if (!(req.agent instanceof TrustAgent)) throw new Error('requests go through a TrustAgent');
  if (req.bearer !== undefined && !req.agent.verifies) {
    // docs/protocol.md §3.1: nothing secret on an unverified connection.
    throw new Error('refusing to send a token over an unverified connection');
  }
  const deadlines = req.deadlines ?? DEFAULT_DEADLINES;
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'kubejoin' };
  if (payload) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  if (req.bearer !== undefined) headers.Authorization = `Bearer ${req.bearer}`;
  const progress: Progress = { stage: 'dns' };
  const hints: ConnectHints = { progress, deadlines, ...(req.signal ? { signal: req.signal } : {}) };
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const fail = (err: TransportError): void => {
      if (response) response.destroy(err);
      else r.destroy(err);
    };
    const timer = new StageTimer(progress, (stage, ms) => fail(stalled(stage, `within ${ms} ms`)));
    const total = setTimeout(() => fail(stalled(progress.stage, `within the request's ${req.timeoutMs} ms`)), req.timeoutMs);
    const onAbort = (): void => fail(stalled(progress.stage, 'before the deadline'));
    const done = (): void => {
      timer.clear();
      clearTimeout(total);
      req.signal?.removeEventListener('abort', onAbort);
    };
    const r = https.request(req.url, { method: req.method ?? 'GET', agent: req.agent, headers, kubejoin: hints } as https.RequestOptions);
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    r.on('socket', (socket: TLSSocket) => {
      // Emitted before the request is written: a token never reaches an unverified peer.
      if (req.bearer !== undefined && socket.authorized !== true) {
        fail(new TransportError('refusing to send a token: the connection is not verified', 'UNVERIFIED_PEER', 'handshake'));
        return;
      }
      timer.enter('headers', deadlines.headers);
    });
    r.on('response', (res) => {
      response = res;
      timer.enter('body', bodyDeadline ? deadlines.body : undefined);
      resolve({ res, done });
    });
    r.on('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(fromNodeError(err, progress.stage));
    });
    r.end(payload);
  });
}

/** Reads a body under the cap; stream errors become TransportErrors of stage body. */
async function bodyOf(opened: Opened, limit: number, what: string): Promise<string> {
  try {
    return await readBounded(opened.res as AsyncIterable<Buffer>, limit, () => new BodyLimitError(what, limit));
  } catch (err) {
    opened.res.destroy();
    throw fromNodeError(err as NodeJS.ErrnoException, 'body');
  } finally {
    opened.done();
  }
}

/** One request, its whole body as text (at most `limit` bytes). */
export async function request(req: Request): Promise<Response> {
  const opened = await open(req, true);
  const body = await bodyOf(opened, req.limit ?? LIMITS.object, req.what ?? 'the response');
  const date = opened.res.headers.date;
  return { status: opened.res.statusCode ?? 0, body, headers: opened.res.headers, ...(date ? { date } : {}) };
}

export type StreamItem = { status: number; line?: string; body?: string; headers?: IncomingHttpHeaders };

/**
 * A streaming request (a Kubernetes watch): yields each line (at most `limit` bytes each).
 * Ends when the server closes the stream cleanly; a reset or a stall mid-stream throws a
 * TransportError (the caller re-watches). A non-200 answer is yielded whole as `{status, body}`.
 */
export async function* stream(req: Request): AsyncGenerator<StreamItem> {
  const opened = await open(req, false);
  const { res } = opened;
  if (res.statusCode !== 200) {
    const body = await bodyOf(opened, LIMITS.object, req.what ?? 'the response');
    yield { status: res.statusCode ?? 0, body, headers: res.headers };
    return;
  }
  const splitter = new LineSplitter(req.limit ?? LIMITS.watchLine, req.what ?? 'one watch event');
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      for (const line of splitter.push(chunk)) yield { status: 200, line };
    }
    const last = splitter.end();
    if (last !== undefined) yield { status: 200, line: last };
  } catch (err) {
    throw fromNodeError(err as NodeJS.ErrnoException, 'body');
  } finally {
    opened.done();
    res.destroy();
  }
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
