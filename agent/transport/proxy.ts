import net from 'node:net';
import tls from 'node:tls';
import { maskProxyUrl, proxyCredentialsProblem } from '../contract/mask.js';
import { UsageError } from '../errors.js';
import { NoProxy, splitHostPort } from './no-proxy.js';

// HTTPS through an egress proxy (docs/protocol.md §3.11): an HTTP CONNECT tunnel per
// connection, and inside it the same TLS, verified against the same pinned CA, as without
// a proxy. The proxy sees host:port and ciphertext; a proxy that intercepts TLS fails the
// pin (exit 3) before any token is sent. Which connections use the proxy follows Go's
// httpproxy (HTTPS_PROXY, NO_PROXY; see no-proxy.ts), as kubeadm and kubectl do.

export interface ProxyConfig {
  /** The proxy (http: or https:), credentials included: never print it, print `display`. */
  url: URL;
  /** The proxy URL with any credentials masked. */
  display: string;
  /** Where it came from: "--proxy", "HTTPS_PROXY", "https_proxy", "the provisioning file". */
  source: string;
  noProxy: NoProxy;
  /** Identifies the configuration (agents are shared per configuration). */
  key: string;
}

/** A proxy URL with all before its last "@" replaced by "***" (also without a scheme). */
export { maskProxyUrl };

const ENCODE_HINT = 'Percent-encode "/", "@", "#", "?" and "%" in the proxy user and password (%2F, %40, %23, %3F, %25).';

/** Parses a proxy URL as Go's httpproxy does (no scheme means http://); http: and https: only. */
export function parseProxyUrl(value: string, source: string): URL {
  const shown = maskProxyUrl(value);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.host === '' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      url = new URL(`http://${value}`);
    } catch {
      throw new UsageError(
        `the proxy "${shown}" (${source}) is not a valid URL`,
        `Give it as http://host:port (credentials as http://user:password@host:port).${value.includes('@') ? ` ${ENCODE_HINT}` : ''}`,
      );
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `the proxy "${shown}" (${source}) uses ${url.protocol.replace(/:$/, '')}://; only http:// and https:// proxies (HTTP CONNECT) are supported`,
      'Give the proxy as http://host:port; the connection to the cluster inside the tunnel is TLS either way.',
    );
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new UsageError(`the proxy "${shown}" (${source}) has a path; give only http://host:port`, value.includes('@') ? ENCODE_HINT : undefined);
  }
  const credentials = proxyCredentialsProblem(url);
  if (credentials) throw new UsageError(`the proxy "${shown}" (${source}): ${credentials}`, ENCODE_HINT);
  return url;
}

const first = (env: NodeJS.ProcessEnv, ...names: string[]): [string, string] | undefined => {
  for (const n of names) if (env[n]) return [n, env[n]];
  return undefined;
};

/**
 * The proxy for HTTPS connections: `explicit` (--proxy, the provisioning file's `proxy:`)
 * wins over HTTPS_PROXY/https_proxy; NO_PROXY/no_proxy applies to both. Undefined: direct.
 */
export function proxyConfig(env: NodeJS.ProcessEnv, explicit?: { value: string; source: string }): ProxyConfig | undefined {
  const chosen: [string, string] | undefined = explicit?.value ? [explicit.source, explicit.value] : first(env, 'HTTPS_PROXY', 'https_proxy');
  if (!chosen) return undefined;
  const [source, value] = chosen;
  const url = parseProxyUrl(value, source);
  const noProxy = new NoProxy(first(env, 'NO_PROXY', 'no_proxy')?.[1] ?? '');
  return { url, display: maskProxyUrl(url.href).replace(/\/$/, ''), source, noProxy, key: `${url.href}|${noProxy.value}` };
}

/** The environment's proxy for a form to show (the contract's ProxyInUse): masked, never throws. */
export function proxyInUse(env: NodeJS.ProcessEnv): { proxy?: string; source?: string; noProxy?: string; problem?: string } {
  try {
    const config = proxyConfig(env);
    if (!config) return {};
    return { proxy: config.display, source: config.source, ...(config.noProxy.value ? { noProxy: config.noProxy.value } : {}) };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

/** The proxy a connection to host:port goes through, or undefined (direct). */
export function proxyFor(config: ProxyConfig | undefined, host: string, port: number | string): ProxyConfig | undefined {
  return config && config.noProxy.useProxy(host, String(port)) ? config : undefined;
}

/** How a connection to `endpoint` (host:port) goes, in words; undefined without a proxy. */
export function describeRoute(config: ProxyConfig | undefined, endpoint: string): string | undefined {
  if (!config) return undefined;
  const hp = splitHostPort(endpoint);
  return hp && proxyFor(config, hp.host, hp.port)
    ? `connecting to ${endpoint} through the proxy ${config.display} (${config.source})`
    : `connecting to ${endpoint} directly: ${hp && (hp.host === 'localhost' || /^(127\.|::1$)/.test(hp.host)) ? 'loopback is never proxied' : 'NO_PROXY exempts it'} (proxy ${config.display} from ${config.source})`;
}

/** The Proxy-Authorization value for the URL's user and password; undefined without them. */
export function proxyAuthorization(url: URL): string | undefined {
  if (!url.username && !url.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
}

/** A failure on the way through the proxy (no code: its message says it all). */
export class ProxyError extends Error {
  readonly code = undefined;
  constructor(message: string) {
    super(message);
    this.name = 'ProxyError';
  }
}

const MAX_RESPONSE_HEAD = 16 * 1024;
/** Bound on reaching the proxy and its answer to CONNECT. */
export const CONNECT_TIMEOUT_MS = 10_000;

const hostPort = (host: string, port: number | string): string => (net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * Opens a CONNECT tunnel to host:port through the proxy; resolves with the raw socket. The
 * agents (agents.ts) run their pinned TLS inside it through connect()'s `tunnel`.
 */
export function openTunnel(config: ProxyConfig, host: string, port: number | string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<net.Socket> {
  const target = hostPort(host, port);
  const { url } = config;
  return new Promise((resolve, reject) => {
    // An https:// proxy is reached over TLS verified by the system's trust store
    // (NODE_EXTRA_CA_CERTS adds to it); the cluster's own TLS then runs inside.
    let authorization: string | undefined;
    try {
      authorization = proxyAuthorization(url);
    } catch {
      // parseProxyUrl refuses such a URL; a ProxyConfig made otherwise still fails cleanly.
      reject(new ProxyError(`the proxy ${config.display} (${config.source}): ${proxyCredentialsProblem(url) ?? 'its credentials cannot be read'}`));
      return;
    }
    const proxyHost = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = url.protocol === 'https:';
    const socket: net.Socket = secure
      ? tls.connect({
          host: proxyHost,
          port: Number(url.port || 443),
          ...(net.isIP(proxyHost) ? {} : { servername: proxyHost }),
          ALPNProtocols: ['http/1.1'],
          // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot turn it off: an unverified
          // proxy would receive the proxy user and password.
          rejectUnauthorized: true,
        })
      : net.connect({ host: proxyHost, port: Number(url.port || 80) });
    let head = Buffer.alloc(0);
    const fail = (why: string): void => {
      cleanup();
      socket.destroy();
      reject(new ProxyError(why));
    };
    const timer = setTimeout(() => fail(`the proxy ${config.display} did not open a tunnel to ${target} within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    const onError = (err: NodeJS.ErrnoException): void =>
      fail(
        `cannot connect to the proxy ${config.display} (${config.source}): ${
          err.code === 'ECONNREFUSED'
            ? 'connection refused'
            : err.code === 'ENOTFOUND'
              ? 'host name not found'
              : secure && /CERT|SELF_SIGNED|ISSUER|ALTNAME|VERIFY/.test(err.code ?? '')
                ? `its certificate is not trusted (${err.code}): add its CA with NODE_EXTRA_CA_CERTS${
                    process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0'
                      ? ' (NODE_TLS_REJECT_UNAUTHORIZED=0 does not apply to the proxy: it would get the proxy password)'
                      : ''
                  }`
                : (err.code ?? err.message)
        }`,
      );
    const onClose = (): void => fail(`the proxy ${config.display} closed the connection before answering CONNECT ${target}`);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_RESPONSE_HEAD) fail(`the proxy ${config.display} sent an over-long answer to CONNECT ${target}`);
        return;
      }
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!m) return fail(`the proxy ${config.display} answered CONNECT ${target} with something that is not HTTP`);
      if (m[1] !== '200') {
        const auth =
          m[1] === '407' ? (url.username ? ' (check the proxy user and password)' : ' (the proxy wants credentials: http://user:password@host:port)') : '';
        return fail(`the proxy ${config.display} refused CONNECT ${target}: HTTP ${m[1]}${m[2] ? ` ${m[2].slice(0, 80)}` : ''}${auth}`);
      }
      cleanup();
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('error', onError).off('close', onClose).off('data', onData);
    }
    socket.on('error', onError).on('close', onClose).on('data', onData);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`, 'User-Agent: kubejoin'];
      if (authorization) lines.push(`Proxy-Authorization: ${authorization}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  });
}
