import net from 'node:net';
import { domainToASCII } from 'node:url';

// NO_PROXY read the way Go's golang.org/x/net/http/httpproxy reads it (what kubeadm and
// kubectl use), so one environment behaves the same for them and for kubejoin:
//   - entries are comma-separated, trimmed, lower-cased; empty ones are skipped;
//   - "*" alone bypasses the proxy for every host;
//   - a CIDR ("10.0.0.0/8", "fd00::/8") matches IP hosts inside it, on any port;
//   - an IP, optionally with a port ("192.168.1.3:80", "[2001:db8::1]:443"), matches that IP;
//   - a domain "foo.com" matches foo.com and its subdomains, ".foo.com" and "*.foo.com"
//     only the subdomains; "foo.com:8443" only on that port; domains never match IP hosts;
//   - "localhost" and loopback addresses (127.0.0.0/8, ::1) are never proxied, whatever
//     NO_PROXY says.

type Matcher =
  | { kind: 'all' }
  | { kind: 'cidr'; list: net.BlockList }
  | { kind: 'ip'; ip: string; family: 'ipv4' | 'ipv6'; port: string }
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

/** An IP as Go compares it: IPv4-mapped IPv6 counts as IPv4. Undefined when not an IP. */
function parseIp(host: string): { ip: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = host.replace(/%.*$/, '');
  const version = net.isIP(bare);
  if (version === 4) return { ip: bare, family: 'ipv4' };
  if (version !== 6) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? { ip: mapped[1]!, family: 'ipv4' } : { ip: bare, family: 'ipv6' };
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function parseEntry(entry: string): Matcher | undefined {
  const slash = entry.indexOf('/');
  if (slash > 0) {
    const ip = parseIp(entry.slice(0, slash));
    const bits = entry.slice(slash + 1);
    const max = ip?.family === 'ipv4' ? 32 : 128;
    if (ip && /^\d{1,3}$/.test(bits) && Number(bits) <= max) {
      const list = new net.BlockList();
      list.addSubnet(ip.ip, Number(bits), ip.family);
      return { kind: 'cidr', list };
    }
  }
  const split = splitHostPort(entry);
  let host = split ? split.host : entry;
  const port = split ? split.port : '';
  if (split && host === '') return undefined;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const ip = host.includes('%') ? undefined : parseIp(host);
  if (ip) return { kind: 'ip', ...ip, port };
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

  /** Whether a connection to host:port goes through the proxy (Go's useProxy). */
  useProxy(hostIn: string, port: string): boolean {
    const host = toAscii(
      hostIn
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1'),
    );
    if (host === '') return true;
    if (host === 'localhost') return false;
    const ip = parseIp(host);
    if (ip && LOOPBACK.check(ip.ip, ip.family)) return false;
    const matches = (m: Matcher): boolean => {
      switch (m.kind) {
        case 'all':
          return true;
        case 'cidr':
          return ip !== undefined && m.list.check(ip.ip, ip.family);
        case 'ip':
          return ip !== undefined && ip.family === m.family && sameIp(ip.ip, m.ip, m.family) && (m.port === '' || m.port === port);
        case 'domain':
          if (ip) return false;
          return (host.endsWith(m.suffix) || (m.matchHost && host === m.suffix.slice(1))) && (m.port === '' || m.port === port);
      }
    };
    if (ip && this.ipMatchers.some(matches)) return false;
    return !this.domainMatchers.some(matches);
  }
}

function sameIp(a: string, b: string, family: 'ipv4' | 'ipv6'): boolean {
  const list = new net.BlockList();
  list.addAddress(b, family);
  return list.check(a, family);
}
