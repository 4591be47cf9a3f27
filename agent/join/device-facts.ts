import os from 'node:os';
import type * as SystemInformation from 'systeminformation';
import type { DeviceFacts } from '../contract/index.js';

/**
 * Facts about this machine from systeminformation (loaded lazily: it is only needed
 * once per join and costs start-up time). Never fails: a fact that cannot be read is
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
