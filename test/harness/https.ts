// Plain HTTPS to the apiserver (node:https), as admin, anonymously, with a bearer token or
// with any client certificate. The server is always verified against the cluster CA.
import { Agent, request } from 'node:https';

export type Auth = 'admin' | 'anonymous' | { token: string } | { cert: string; key: string };

export interface ApiRequest {
  method?: string;
  path: string;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  auth?: Auth; // default 'admin'
  timeoutMs?: number; // default 10 s
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export class ApiClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });

  constructor(
    readonly server: string,
    private readonly caPem: string,
    private readonly admin: { cert: string; key: string },
  ) {}

  request(req: ApiRequest): Promise<ApiResponse> {
    const url = new URL(req.path, this.server);
    const auth = req.auth ?? 'admin';
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    let tls: { cert?: string; key?: string } = {};
    if (auth === 'admin') tls = this.admin;
    else if (typeof auth === 'object' && 'token' in auth) headers.authorization = `Bearer ${auth.token}`;
    else if (typeof auth === 'object') tls = auth;
    // Connections with a client certificate must not be shared with other identities.
    const agent = auth === 'admin' ? this.agent : false;
    return new Promise((resolve, reject) => {
      const r = request(url, { method: req.method ?? 'GET', headers, ca: this.caPem, ...tls, agent, timeout: req.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      });
      r.on('timeout', () => r.destroy(new Error(`${req.method ?? 'GET'} ${req.path}: timed out`)));
      r.on('error', reject);
      r.end(payload);
    });
  }

  /** Like request, but any status other than 2xx is an error naming the status and body. */
  async ok(req: ApiRequest): Promise<ApiResponse> {
    const res = await this.request(req);
    if (res.status < 200 || res.status > 299) {
      throw new Error(`${req.method ?? 'GET'} ${req.path}: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
    }
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}
