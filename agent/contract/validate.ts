import type { JoinRequest } from './options.js';
import { STORE_KINDS } from './options.js';
import { maskProxyUrl, proxyCredentialsProblem, TOKEN_PATTERN } from './mask.js';

// Pure checks shared by the engine's `validate` phase and the UI's validation-as-you-type.
// Messages never echo a token secret.

export interface FieldProblem {
  field: keyof JoinRequest;
  message: string;
}

const PIN = /^sha256:[0-9a-f]{64}$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function tokenProblem(value: string, what = 'token'): string | undefined {
  if (value === '') return `a bootstrap ${what} is required`;
  if (!TOKEN_PATTERN.test(value)) {
    return `the ${what} is malformed: it must match [a-z0-9]{6}.[a-z0-9]{16} (6 lower-case letters or digits, a dot, 16 more)`;
  }
  return undefined;
}

export function pinProblem(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  if (PIN.test(v)) return undefined;
  if (!v.includes(':')) return `invalid CA cert hash "${value}": it has no "sha256:" prefix`;
  const [kind, hex = ''] = v.split(':', 2);
  if (kind !== 'sha256') return `invalid CA cert hash "${value}": the hash type "${kind}" is not supported (only sha256)`;
  if (!/^[0-9a-f]*$/.test(hex)) return `invalid CA cert hash "${value}": the hash is not hexadecimal`;
  return `invalid CA cert hash "${value}": the hash has ${hex.length / 2} bytes, sha256 has 32`;
}

/** host:port with a port 1-65535; IPv6 hosts in brackets. */
export function endpointProblem(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return 'an API server endpoint (host:port) is required';
  if (/^[a-z]+:\/\//i.test(v)) return `the endpoint "${v}" must be host:port without a scheme (e.g. 10.0.0.1:6443)`;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+):(\d{1,5})$/.exec(v);
  if (!m) {
    return v.split(':').length > 2 && !v.startsWith('[')
      ? `the endpoint "${v}" looks like an IPv6 address: put it in brackets, e.g. [fd00::1]:6443`
      : `the endpoint "${v}" must be host:port, e.g. 10.0.0.1:6443`;
  }
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `the endpoint "${v}" has an invalid port ${m[2]} (1-65535)`;
  return undefined;
}

/** An HTTP proxy URL (`http[s]://[user:password@]host[:port]`, or `host:port`); credentials never echoed. */
export function proxyProblem(value: string): string | undefined {
  const v = value.trim();
  if (v === '') return undefined;
  const shown = maskProxyUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`);
  const encodeHint = v.includes('@') ? ' (write "/", "@", "#", "?" and "%" in the user and password as %2F, %40, %23, %3F, %25)' : '';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https')
    return `the proxy "${shown}" uses ${scheme}://; only http:// and https:// proxies (HTTP CONNECT) are supported`;
  let url: URL;
  try {
    url = new URL(scheme ? v : `http://${v}`);
  } catch {
    return `the proxy "${shown}" is not a valid URL: give it as http://host:port${encodeHint}`;
  }
  if (url.hostname === '') return `the proxy "${shown}" has no host: give it as http://host:port`;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return `the proxy "${shown}" has a path: give only http://host:port${encodeHint}`;
  const credentials = proxyCredentialsProblem(url);
  return credentials ? `the proxy "${shown}": ${credentials}` : undefined;
}

/** A DNS-1123 subdomain: lower case, at most 253 characters, dot-separated labels. */
export function nodeNameProblem(value: string): string | undefined {
  if (value === '') return 'the node name is empty';
  if (value.length > 253) return `the node name is ${value.length} characters long; at most 253 are allowed`;
  if (!value.split('.').every((l) => l.length <= 63 && DNS1123_LABEL.test(l))) {
    return `the node name "${value}" is not a valid DNS-1123 subdomain: use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Every problem with a join request, before any network traffic. */
/** The longest delay a JavaScript timer holds (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a duration in ms cannot be a deadline: not positive, over what a timer holds, or finer than 1 ms. */
export function timerDurationProblem(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms <= 0) return 'must be a positive duration';
  if (ms > MAX_TIMER_MS) return 'is longer than a timer can hold: use at most 596h (about 24 days)';
  if (!Number.isInteger(ms)) return 'is finer than the 1 ms a timer counts in: use whole milliseconds (e.g. 2ms, not 1500us)';
  return undefined;
}

export function joinRequestProblems(req: JoinRequest): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: keyof JoinRequest, message: string | undefined): void => {
    if (message !== undefined) problems.push({ field, message });
  };
  const pins = req.caCertHashes ?? [];
  if (req.discoveryFile) {
    if (req.token === undefined && req.tlsBootstrapToken === undefined) {
      add('tlsBootstrapToken', 'with a discovery file, a TLS bootstrap token is required (--tls-bootstrap-token or --token)');
    }
  } else {
    add('endpoint', endpointProblem(req.endpoint ?? ''));
    add('token', tokenProblem(req.token ?? ''));
    if (pins.length === 0 && !req.unsafeSkipCaVerification) {
      add(
        'caCertHashes',
        'no CA cert hash given: pass --discovery-token-ca-cert-hash sha256:<hex> (or, insecurely, --discovery-token-unsafe-skip-ca-verification)',
      );
    }
  }
  if (req.token !== undefined && req.discoveryFile) add('token', tokenProblem(req.token));
  if (req.tlsBootstrapToken !== undefined) add('tlsBootstrapToken', tokenProblem(req.tlsBootstrapToken));
  for (const pin of pins) add('caCertHashes', pinProblem(pin));
  if (req.nodeName !== undefined) add('nodeName', nodeNameProblem(req.nodeName));
  if (req.store !== undefined && !STORE_KINDS.includes(req.store)) {
    add('store', `unknown store "${String(req.store)}": use auto, keychain or file`);
  }
  if (req.proxy !== undefined) add('proxy', proxyProblem(req.proxy));
  for (const [field, v] of [
    ['discoveryTimeoutMs', req.discoveryTimeoutMs],
    ['timeoutMs', req.timeoutMs],
  ] as const) {
    const problem = v === undefined ? undefined : timerDurationProblem(v);
    if (problem) add(field, `${field} ${problem}`);
  }
  return problems;
}
