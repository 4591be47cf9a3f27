/** Facts about this machine, shown in the UI and in JSON output. */
export interface DeviceFacts {
  hostname: string;
  os: string;
  arch: string;
  cpu: string;
  cores: number;
  memoryBytes: number;
  primaryMac?: string;
  primaryIp?: string;
}
