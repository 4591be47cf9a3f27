import type { DeviceFacts } from '../agent/contract/device.js';
import { byId, fillFacts } from './dom.js';
import { formatBytes } from './format.js';

export function renderDevice(facts: DeviceFacts | undefined, problem?: string): void {
  const dl = byId('device-facts');
  if (!facts) {
    fillFacts(dl, [['Status', problem ?? 'reading…']]);
    return;
  }
  fillFacts(dl, [
    ['Host name', facts.hostname],
    ['OS', facts.os],
    ['Architecture', facts.arch],
    ['CPU', `${facts.cpu} (${facts.cores} cores)`],
    ['Memory', formatBytes(facts.memoryBytes)],
    ['Primary MAC', facts.primaryMac ?? 'unknown'],
    ['Primary IP', facts.primaryIp ?? 'unknown'],
  ]);
}
