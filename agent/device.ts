import os from 'node:os';
import type * as SystemInformation from 'systeminformation';
import type { DeviceFacts } from './contract/index.js';

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
  try {
    const list = await si.networkInterfaces('default');
    const first = Array.isArray(list) ? list[0] : list;
    return first ? { mac: first.mac, ip4: first.ip4, ip6: first.ip6 } : undefined;
  } catch {
    return undefined;
  }
}

/** The default node name: the host name, lower-cased (validated by the caller). */
export async function defaultNodeName(): Promise<string> {
  const si = (await import('systeminformation')).default;
  const info = await si.osInfo().catch(() => undefined);
  return (info?.hostname || os.hostname()).toLowerCase();
}
