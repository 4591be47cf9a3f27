// Small servers that stand in for an attacker between kubejoin and the real cluster.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';

/** A self-signed P-256 certificate for 127.0.0.1 (not issued by the cluster CA). */
export function foreignCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kubejoin-evil-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=evil',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'c.pem'), 'utf8'), key: readFileSync(join(dir, 'k.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Hostile {
  endpoint: string;
  /** Headers of every request the server received. */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Anonymous GET of the real cluster's cluster-info (what any attacker can do). */
function realClusterInfo(realEndpoint: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(`https://${realEndpoint}${path}`, { rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/**
 * An HTTPS server with a foreign certificate that relays the real cluster-info after
 * `tamper` changed it (identity: relay unchanged).
 */
export async function relayingServer(
  realEndpoint: string,
  tamper: (configMap: { data: Record<string, string> }) => void = () => undefined,
  cert = foreignCertificate(),
): Promise<Hostile> {
  const seen: IncomingHttpHeaders[] = [];
  const server = https.createServer(cert, (req, res) => {
    seen.push(req.headers);
    void realClusterInfo(realEndpoint, req.url ?? '/').then(({ status, body }) => {
      let out = body;
      if (status === 200 && req.url?.includes('/configmaps/cluster-info')) {
        const cm = JSON.parse(body) as { data: Record<string, string> };
        tamper(cm);
        out = JSON.stringify(cm);
      }
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Accepts TCP connections and never answers. */
export async function hangingServer(): Promise<Hostile> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen: [],
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
