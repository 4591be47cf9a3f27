import { it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import si from 'systeminformation';
import { getDeviceFacts } from '../../../agent/join/device-facts.js';

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
