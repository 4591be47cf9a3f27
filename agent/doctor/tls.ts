import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { openTunnel } from '../transport/proxy.js';
import { fail, pass, remaining, warn, type DoctorContext, type Outcome } from './check.js';

// The TLS handshake as it happens (through the proxy if one is in effect): the server's
// chain and names, unverified first; verified against a CA for the pin check.

export interface Handshake {
  chain: X509Certificate[];
  /** Set when a CA was given: why the chain does not verify against it. */
  authorizationError?: string;
  protocol: string | null;
}

/** One TLS handshake to the endpoint; `ca` verifies the chain (names are checked by the caller). */
export async function handshake(ctx: DoctorContext, ca?: string): Promise<Handshake> {
  const timeoutMs = remaining(ctx);
  const socket = ctx.via ? await openTunnel(ctx.via, ctx.host, ctx.port, timeoutMs) : undefined;
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      ...(socket ? { socket } : { host: ctx.host, port: ctx.port }),
      ...(net.isIP(ctx.host) ? {} : { servername: ctx.host }),
      ...(ca ? { ca } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no TLS answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      const chain: X509Certificate[] = [];
      let c: tls.DetailedPeerCertificate | undefined = s.getPeerCertificate(true);
      const seen = new Set<string>();
      while (c?.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push(new X509Certificate(c.raw));
        c = c.issuerCertificate;
      }
      const error = s.authorizationError;
      resolve({ chain, protocol: s.getProtocol(), ...(ca && error ? { authorizationError: typeof error === 'string' ? error : error.message } : {}) });
      s.destroy();
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export const describeCert = (c: X509Certificate): string =>
  `${c.subject.replace(/\n/g, ', ')} (issuer ${c.issuer.replace(/\n/g, ', ')}; valid ${new Date(c.validFrom).toISOString()} to ${new Date(c.validTo).toISOString()})`;

export const nameFix = (leaf: X509Certificate): string =>
  `Join with a name or IP the certificate holds (${leaf.subjectAltName ?? 'none'}), or add this one to the API server's certificate (kubeadm: apiServer.certSANs).`;

/** undefined when the certificate names the host (as TLS verification checks it). */
export function nameProblem(leaf: X509Certificate, host: string): string | undefined {
  return net.isIP(host) ? (leaf.checkIP(host) ? undefined : `it does not name the IP ${host}`) : leaf.checkHost(host) ? undefined : `it does not name ${host}`;
}

export async function checkTls(ctx: DoctorContext): Promise<Outcome> {
  let hs: Handshake;
  try {
    hs = await handshake(ctx);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const notTls = /wrong version number|packet length too long|unknown protocol/i.test(e.message);
    return fail(
      'timeout',
      `no TLS handshake with ${ctx.endpoint}: ${notTls ? 'the server does not speak TLS on this port' : e.message}`,
      notTls
        ? 'Check the port: the API server speaks HTTPS (usually on 6443).'
        : 'The server accepted the connection but did not complete a TLS handshake: check that this is the API server, and that nothing in the path holds the connection.',
    );
  }
  const leaf = hs.chain[0];
  if (!leaf) return fail('untrusted-cluster', 'the server presented no certificate', 'Check that the endpoint is the API server.');
  ctx.found.tlsOk = true;
  ctx.found.chain = hs.chain;
  const evidence = [
    `protocol: ${hs.protocol ?? '?'}`,
    ...hs.chain.map((c, i) => `${i === 0 ? 'server' : 'issuer'}: ${describeCert(c)}`),
    `names: ${leaf.subjectAltName ?? '(no subjectAltName)'}`,
  ];
  const problem = nameProblem(leaf, ctx.host);
  if (problem) {
    // A warning here: the pin check verifies chain and names together and decides.
    return warn(`the server's certificate ${problem.replace(/^it /, '')}: TLS verification of ${ctx.endpoint} will fail`, nameFix(leaf), evidence);
  }
  return pass(`${hs.protocol ?? 'TLS'} with a certificate that names ${ctx.host}`, evidence);
}
