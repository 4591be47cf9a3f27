// API requests per join, counted from the apiserver's audit log (policy: level Metadata).
// A join's requests are the ones made as a joining client (anonymous discovery, the
// bootstrap token, the new node credential) while that join ran; the admin's and the
// controllers' requests are not counted. Each request counts once (by auditID), whatever
// stages it was logged at.

interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user?: { username?: string };
  userAgent?: string;
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
  responseStatus?: { code?: number };
}

export interface Request {
  at: number; // ms since the epoch
  user: string;
  verb: string;
  /** "configmaps", "certificatesigningrequests", "selfsubjectreviews", or a path ("/healthz"). */
  what: string;
  code?: number;
  userAgent: string;
}

export interface Window {
  startedAt: number;
  endedAt: number;
}

const JOINING_USER = /^(system:anonymous|system:bootstrap:.+|system:node:.+)$/;

/**
 * Reads the audit log incrementally (it grows to tens of MB over a bench run): each
 * `requests()` parses only the bytes added since the last call and returns every joining
 * client's request seen so far, once each, in time order. Start the apiserver with a large
 * --audit-log-maxsize: a rotated log would lose requests, and is reported as an error.
 */
export class AuditReader {
  private offset = 0;
  private readonly byId = new Map<string, Request>();
  constructor(readonly path: string) {}

  async requests(): Promise<Request[]> {
    const { open } = await import('node:fs/promises');
    const fh = await open(this.path, 'r');
    try {
      const { size } = await fh.stat();
      if (size < this.offset) throw new Error(`the audit log ${this.path} shrank (rotated?): requests would be lost; raise --audit-log-maxsize`);
      const buf = Buffer.alloc(size - this.offset);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, this.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const end = buf.lastIndexOf(0x0a, got - 1); // whole lines only
      if (end < 0) return this.sorted();
      this.offset += end + 1;
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) this.add(line);
    } finally {
      await fh.close();
    }
    return this.sorted();
  }

  private add(line: string): void {
    if (!line) return;
    let e: AuditEvent;
    try {
      e = JSON.parse(line) as AuditEvent;
    } catch {
      return;
    }
    const user = e.user?.username ?? '';
    if (!JOINING_USER.test(user)) return;
    const what = e.objectRef?.resource
      ? `${e.objectRef.resource}${e.objectRef.subresource ? `/${e.objectRef.subresource}` : ''}`
      : e.requestURI.split('?')[0]!;
    const old = this.byId.get(e.auditID);
    const req: Request = { at: Date.parse(e.requestReceivedTimestamp), user, verb: e.verb, what, userAgent: e.userAgent ?? '' };
    const code = e.responseStatus?.code ?? old?.code;
    if (code !== undefined) req.code = code;
    this.byId.set(e.auditID, req);
  }

  private sorted(): Request[] {
    return [...this.byId.values()].sort((a, b) => a.at - b.at);
  }
}

export const inWindow = (requests: readonly Request[], w: Window): Request[] => requests.filter((r) => r.at >= w.startedAt - 1 && r.at <= w.endedAt + 1);

/** "verb what" -> count, e.g. "get configmaps": 2. */
export function byVerbResource(requests: readonly Request[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) out[`${r.verb} ${r.what}`] = (out[`${r.verb} ${r.what}`] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const notOk = (r: Request): boolean => r.code !== undefined && (r.code < 200 || r.code >= 300);

/** Answers that were not 2xx (retries, refusals, throttling) among the requests. */
export const failedAnswers = (requests: readonly Request[]): number => requests.filter(notOk).length;

/** "verb what HTTP-code" -> count, for the answers that were not 2xx. */
export function failedByKind(requests: readonly Request[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests.filter(notOk)) out[`${r.verb} ${r.what} ${r.code}`] = (out[`${r.verb} ${r.what} ${r.code}`] ?? 0) + 1;
  return out;
}

/** Waits until the audit log stops growing (its writer is asynchronous to the client). */
export async function settle(auditLog: string, { quietMs = 300, maxMs = 5000 } = {}): Promise<void> {
  const { stat } = await import('node:fs/promises');
  const deadline = Date.now() + maxMs;
  let last = -1;
  for (;;) {
    const size = (await stat(auditLog)).size;
    if (size === last || Date.now() > deadline) return;
    last = size;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}
