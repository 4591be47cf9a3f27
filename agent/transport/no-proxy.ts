import net from 'node:net';
import { domainToASCII } from 'node:url';

// NO_PROXY read the way Go's golang.org/x/net/http/httpproxy reads it (what kubeadm and
// kubectl use), so one environment behaves the same for them and for kubejoin:
//   - entries are comma-separated, trimmed, lower-cased; empty ones are skipped;
//   - "*" alone bypasses the proxy for every host;
//   - a CIDR ("10.0.0.0/8", "fd00::/8") matches IP hosts inside it, on any port;
//   - a CIDR matches hosts of its own family only: "::/0" matches no IPv4 host;
//   - an IP, optionally with a port ("192.168.1.3:80", "[2001:db8::1]:443"), matches that IP;
//     an IPv6 address in brackets without a port ("[2001:db8::1]") is no IP to Go and matches
//     nothing;
//   - a domain "foo.com" matches foo.com and its subdomains, ".foo.com" and "*.foo.com"
//     only the subdomains; "foo.com:8443" only on that port; domains never match IP hosts;
//   - "localhost" and loopback addresses (127.0.0.0/8, ::1) are never proxied, whatever
//     NO_PROXY says; Go compares "localhost" before lower-casing, so "LOCALHOST" is an
//     ordinary domain (proxied unless NO_PROXY names it).

type Matcher =
  | { kind: 'all' }
  | { kind: 'cidr'; net: Uint8Array; bits: number; v4: boolean }
  | { kind: 'ip'; ip: Uint8Array; port: string }
  | { kind: 'domain'; suffix: string; port: string; matchHost: boolean };

/** Go's net.SplitHostPort: "host:port" or "[v6]:port"; undefined when there is no port. */
export function splitHostPort(s: string): { host: string; port: string } | undefined {
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0 || s[end + 1] !== ':') return undefined;
    const host = s.slice(1, end);
    const port = s.slice(end + 2);
    return port.includes(':') || host.includes('[') ? undefined : { host, port };
  }
  const i = s.lastIndexOf(':');
  if (i < 0) return undefined;
  const host = s.slice(0, i);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return undefined;
  return { host, port: s.slice(i + 1) };
}

const V4_IN_V6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * An IP as Go's net.IP holds it: 16 bytes, IPv4 as ::ffff:a.b.c.d. Undefined when not an IP
 * (a zone, "fe80::1%eth0", only where `zone` allows it, as netip.ParseAddr does for hosts).
 */
function parseIp(text: string, zone = false): Uint8Array | undefined {
  const s = zone ? text.replace(/%.+$/, '') : text;
  if (net.isIPv4(s)) return Uint8Array.from([...V4_IN_V6, ...s.split('.').map(Number)]);
  if (!net.isIPv6(s)) return undefined;
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  const v6 = dotted
    ? `${dotted[1]}${((Number(dotted[2]) << 8) | Number(dotted[3])).toString(16)}:${((Number(dotted[4]) << 8) | Number(dotted[5])).toString(16)}`
    : s;
  const [head = '', tail] = v6.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const words = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return Uint8Array.from(words.flatMap((w) => [w >> 8, w & 0xff]));
}

/** Go's IP.To4() != nil: an IPv4 address (held as ::ffff:a.b.c.d). */
const isV4 = (ip: Uint8Array): boolean => V4_IN_V6.every((b, i) => ip[i] === b);

/** Whether the first `bits` bits of a and b (from byte `from`) agree. */
function samePrefix(a: Uint8Array, b: Uint8Array, from: number, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = from + (i >> 3);
    const bit = 0x80 >> (i & 7);
    if ((a[byte]! & bit) !== (b[byte]! & bit)) return false;
  }
  return true;
}

/**
 * Go's net.ParseCIDR and IPNet.Contains: the network is the masked address; it is IPv4 when
 * that is IPv4 (also "::ffff:0:0/96", whose last 32 bits of mask then apply) and then matches
 * only IPv4 hosts; an IPv6 network matches only IPv6 hosts ("::/0" never matches 10.0.0.1).
 */
function parseCidr(entry: string): Matcher | undefined {
  const slash = entry.indexOf('/');
  if (slash < 0) return undefined;
  const text = entry.slice(0, slash);
  const ip = parseIp(text);
  const bits = entry.slice(slash + 1);
  if (!ip || !/^\d+$/.test(bits)) return undefined;
  const textV4 = net.isIPv4(text);
  const n = Number(bits);
  if (n > (textV4 ? 32 : 128)) return undefined;
  const bits16 = textV4 ? n + 96 : n;
  const masked = ip.map((b, i) => b & ((0xff00 >> Math.min(8, Math.max(0, bits16 - i * 8))) & 0xff));
  const v4 = textV4 || isV4(masked);
  return { kind: 'cidr', net: masked, bits: v4 ? Math.max(0, bits16 - 96) : n, v4 };
}

function parseEntry(entry: string): Matcher | undefined {
  const cidr = parseCidr(entry);
  if (cidr) return cidr;
  const split = splitHostPort(entry);
  let host = split ? split.host : entry;
  const port = split ? split.port : '';
  if (split && host === '') return undefined;
  // Brackets come off only with a port, as in Go: "[2001:db8::1]" alone is no IP (and,
  // read as a domain, never matches an IP host).
  if (split && host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const ip = parseIp(host);
  if (ip) return { kind: 'ip', ip, port };
  if (host === '') return undefined;
  if (host.startsWith('*.')) host = host.slice(1);
  const matchHost = !host.startsWith('.');
  const suffix = matchHost ? `.${host}` : host;
  return { kind: 'domain', suffix: toAscii(suffix), port, matchHost };
}

function toAscii(host: string): string {
  if (/^[\x00-\x7f]*$/.test(host)) return host;
  return domainToASCII(host) || host;
}

const isLoopback = (ip: Uint8Array): boolean => (isV4(ip) ? ip[12] === 127 : ip.every((b, i) => b === (i === 15 ? 1 : 0)));

/** A parsed NO_PROXY value. */
export class NoProxy {
  private readonly ipMatchers: Matcher[] = [];
  private readonly domainMatchers: Matcher[] = [];

  constructor(readonly value: string) {
    for (const raw of value.split(',')) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      if (entry === '*') {
        this.ipMatchers.splice(0, Infinity, { kind: 'all' });
        this.domainMatchers.splice(0, Infinity, { kind: 'all' });
        return;
      }
      const m = parseEntry(entry);
      if (!m) continue;
      (m.kind === 'domain' ? this.domainMatchers : this.ipMatchers).push(m);
    }
  }

  /**
   * Whether a connection to host:port goes through the proxy: Go's useProxy, step by step.
   * "localhost" is compared before lower-casing, as Go does ("LOCALHOST" is a domain).
   */
  useProxy(hostIn: string, port: string): boolean {
    const host = toAscii(hostIn.replace(/^\[(.*)\]$/, '$1'));
    if (host === 'localhost') return false;
    const ip = parseIp(host, true);
    if (ip && isLoopback(ip)) return false;
    const lower = host.trim().toLowerCase();
    const matches = (m: Matcher): boolean => {
      switch (m.kind) {
        case 'all':
          return true;
        case 'cidr':
          return ip !== undefined && isV4(ip) === m.v4 && samePrefix(ip, m.net, m.v4 ? 12 : 0, m.bits);
        case 'ip':
          return ip !== undefined && ip.every((b, i) => b === m.ip[i]) && (m.port === '' || m.port === port);
        case 'domain':
          if (ip) return false;
          return (lower.endsWith(m.suffix) || (m.matchHost && lower === m.suffix.slice(1))) && (m.port === '' || m.port === port);
      }
    };
    if (ip && this.ipMatchers.some(matches)) return false;
    return !this.domainMatchers.some(matches);
  }
}
