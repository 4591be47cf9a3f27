import { it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import si from 'systeminformation';
import { defaultRouteInterface, getDeviceFacts, joinDeviceFacts, osReleaseName } from '../../../agent/join/device-facts.js';

// The default node name is os.hostname(), lower-cased: the very value systeminformation
// reports as the hostname, without loading it (and its probes) on the join's hot path.
it("the default node name source equals systeminformation's hostname", async () => {
  assert.equal(os.hostname(), (await si.osInfo()).hostname);
});

it('device facts carry OS, arch, CPU, memory and the primary interface', async () => {
  const facts = await getDeviceFacts();
  assert.equal(facts.hostname, os.hostname());
  assert.equal(facts.arch, os.arch());
  assert.ok(facts.os.length > 0 && facts.cpu.length > 0);
  assert.ok(facts.cores >= 1 && facts.memoryBytes > 0);
  const name = await si.networkInterfaceDefault();
  const addresses = os.networkInterfaces()[name] ?? [];
  if (addresses.length > 0)
    assert.ok(
      addresses.some((a) => a.mac === facts.primaryMac),
      'MAC of the default-route interface',
    );
});

it("a join's device facts (node:os and two files) match what systeminformation reports", async () => {
  // As in a join: started first, collected at the end (here: after systeminformation's answer).
  const started = joinDeviceFacts();
  const full = await getDeviceFacts();
  const quick = await started.facts();
  assert.equal(quick.hostname, full.hostname);
  assert.equal(quick.arch, full.arch);
  assert.equal(quick.memoryBytes, full.memoryBytes);
  if (process.platform === 'linux') {
    assert.equal(quick.os, full.os);
    assert.equal(quick.primaryMac, full.primaryMac);
    assert.equal(quick.primaryIp, full.primaryIp);
  }
  assert.ok(quick.cpu.length > 0 && quick.cores >= 1);
});

it('os-release and the default route, read from their files', () => {
  assert.equal(osReleaseName('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'), 'Debian GNU/Linux 12');
  assert.equal(osReleaseName("NAME='Arch Linux'\nBUILD_ID=rolling\n"), 'Arch Linux');
  assert.equal(osReleaseName('ID=x\n'), undefined);
  const route = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
    'eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  ].join('\n');
  assert.equal(defaultRouteInterface(route), 'eth0', 'the lowest metric wins');
  assert.equal(defaultRouteInterface(route.split('\n').slice(0, 1).join('\n')), undefined);
});
