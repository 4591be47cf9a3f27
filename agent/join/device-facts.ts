import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type * as SystemInformation from 'systeminformation';
import type { DeviceFacts } from '../contract/index.js';

// Facts about this machine, two ways (docs/performance.md):
// - joinDeviceFacts, for a join's JSON result: node:os and two small files (/etc/os-release,
//   /proc/net/route), no subprocess, no systeminformation, started with the join and bounded,
//   so `-o json` costs the join nothing it waits for;
// - getDeviceFacts, for the desktop's device panel: systeminformation, loaded lazily.

/** How long a join waits, at its end, for the file-based facts (node:os facts are always there). */
export const JOIN_FACTS_BOUND_MS = 50;

/** The facts node:os gives at once. */
function osFacts(): DeviceFacts {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpu: cpus[0]?.model.trim() || 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
  };
}

/** "NAME VERSION_ID" from os-release text, as systeminformation's distro and release. */
export function osReleaseName(text: string): string | undefined {
  const field = (key: string): string | undefined => {
    const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1]?.trim();
    return m?.replace(/^(["'])(.*)\1$/, '$2') || undefined;
  };
  const name = field('NAME');
  return name ? [name, field('VERSION_ID')].filter(Boolean).join(' ') : undefined;
}

/** The interface of the IPv4 default route in /proc/net/route text. */
export function defaultRouteInterface(text: string): string | undefined {
  const routes = text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[1] === '00000000' && f[7] === '00000000');
  routes.sort((a, b) => Number(a[6]) - Number(b[6]));
  return routes[0]?.[0];
}

function withAddresses(facts: DeviceFacts, name: string | undefined): DeviceFacts {
  const all = os.networkInterfaces();
  const pick = name ?? Object.keys(all).find((n) => (all[n] ?? []).some((a) => !a.internal && a.family === 'IPv4'));
  const addrs = (pick && all[pick]) || [];
  const v4 = addrs.find((a) => a.family === 'IPv4' && !a.internal);
  const v6 = addrs.find((a) => a.family === 'IPv6' && !a.internal);
  const mac = (v4 ?? v6 ?? addrs[0])?.mac;
  const out = { ...facts };
  if (mac) out.primaryMac = mac;
  if (v4 ?? v6) out.primaryIp = (v4 ?? v6)!.address;
  return out;
}

const read = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

/**
 * Device facts for a join's result. Start it when the join starts and await it at the end:
 * never throws, never spawns, and gives at least node:os's facts after JOIN_FACTS_BOUND_MS.
 */
export function joinDeviceFacts(): { facts: () => Promise<DeviceFacts> } {
  const base = osFacts();
  const files =
    process.platform === 'linux'
      ? Promise.all([read('/etc/os-release').then((t) => t ?? read('/usr/lib/os-release')), read('/proc/net/route')])
      : Promise.resolve([undefined, undefined] as const);
  const full = files.then(
    ([release, route]) => withAddresses({ ...base, os: (release && osReleaseName(release)) || base.os }, route ? defaultRouteInterface(route) : undefined),
    () => withAddresses(base, undefined),
  );
  return {
    facts: () => {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<DeviceFacts>((resolve) => {
        timer = setTimeout(() => resolve(withAddresses(base, undefined)), JOIN_FACTS_BOUND_MS);
      });
      return Promise.race([full, bound]).finally(() => clearTimeout(timer));
    },
  };
}

/**
 * Facts about this machine from systeminformation (loaded lazily: it is only needed by the
 * desktop's device panel and costs start-up time). Never fails: a fact that cannot be read is
 * left out or falls back to node:os.
 */
export async function getDeviceFacts(): Promise<DeviceFacts> {
  const si = (await import('systeminformation')).default;
  const [osInfo, cpu, mem, iface] = await Promise.all([
    si.osInfo().catch(() => undefined),
    si.cpu().catch(() => undefined),
    si.mem().catch(() => undefined),
    primaryInterface(si),
  ]);
  const facts: DeviceFacts = {
    hostname: osInfo?.hostname || os.hostname(),
    os: osInfo ? [osInfo.distro, osInfo.release].filter(Boolean).join(' ') || osInfo.platform : `${os.type()} ${os.release()}`,
    arch: osInfo?.arch || os.arch(),
    cpu: cpu ? [cpu.manufacturer, cpu.brand].filter(Boolean).join(' ') : (os.cpus()[0]?.model ?? 'unknown'),
    cores: cpu?.cores || os.cpus().length,
    memoryBytes: mem?.total || os.totalmem(),
  };
  if (iface?.mac) facts.primaryMac = iface.mac;
  if (iface?.ip4 || iface?.ip6) facts.primaryIp = iface.ip4 || iface.ip6;
  return facts;
}

type SI = typeof SystemInformation.default;

async function primaryInterface(si: SI): Promise<{ mac: string; ip4: string; ip6: string } | undefined> {
  // The default route's interface from systeminformation (cheap), its addresses from
  // node:os (si.networkInterfaces() runs nmcli, iw and friends: ~40 ms of processes).
  try {
    const name = await si.networkInterfaceDefault();
    const addrs = os.networkInterfaces()[name] ?? [];
    const v4 = addrs.find((a) => a.family === 'IPv4' && !a.internal);
    const v6 = addrs.find((a) => a.family === 'IPv6' && !a.internal);
    const mac = (v4 ?? v6 ?? addrs[0])?.mac ?? '';
    return name ? { mac, ip4: v4?.address ?? '', ip6: v6?.address ?? '' } : undefined;
  } catch {
    return undefined;
  }
}
