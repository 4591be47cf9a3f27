// The exposition text the agent writes: each family once, HELP and TYPE first, values from the
// certificate, counters that count, a label value escaped; the textfile replaced whole.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentMetrics, writeTextfile } from '../../../agent/lifecycle/metrics.js';
import { tempDir } from '../../helpers/temp.js';
import { nodeCredential } from './node-cert.js';

describe('AgentMetrics', () => {
  it('renders the certificate, the counters and the build info', async () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    const { certPem } = await nodeCredential('n1', new Date(Date.now() - 60_000), notAfter);
    const now = notAfter.getTime() - 3_600_000;
    const texts: string[] = [];
    const m = new AgentMetrics(
      '1.2.3-"x"',
      (t) => texts.push(t),
      () => now,
    );
    const empty = m.render();
    assert.doesNotMatch(empty, /kubejoin_client_certificate_ttl_seconds/, 'no certificate read yet: no gauge');
    m.checked({ certPem, caBundleSize: 2, at: now });
    m.renewal('success');
    m.renewal('failure');
    m.renewal('failure');
    m.caChange('ca-added');
    m.caChange('ca-refused');
    const text = texts.at(-1)!;
    assert.equal(texts.length, 6);
    assert.match(text, /^kubejoin_client_certificate_ttl_seconds 3600$/m);
    assert.match(text, new RegExp(`^kubejoin_client_certificate_not_after_seconds ${notAfter.getTime() / 1000}$`, 'm'));
    assert.match(text, /^kubejoin_renewals_total\{result="success"\} 1$/m);
    assert.match(text, /^kubejoin_renewals_total\{result="failure"\} 2$/m);
    assert.match(text, /^kubejoin_ca_bundle_changes_total\{change="added"\} 1$/m);
    assert.match(text, /^kubejoin_ca_bundle_changes_total\{change="removed"\} 0$/m);
    assert.match(text, /^kubejoin_ca_bundle_changes_total\{change="refused"\} 1$/m);
    assert.match(text, /^kubejoin_ca_bundle_size 2$/m);
    assert.match(text, new RegExp(`^kubejoin_last_check_timestamp_seconds ${Math.round(now / 1000)}$`, 'm'));
    assert.match(text, /^kubejoin_build_info\{version="1\.2\.3-\\"x\\""\} 1$/m);
    for (const family of text.match(/^# TYPE (\S+)/gm)!) assert.equal(text.split(family).length, 2, `${family} once`);
    assert.ok(text.endsWith('\n'));
  });
});

describe('writeTextfile', () => {
  it('replaces the file whole and leaves no temporary', async () => {
    const dir = tempDir('kj-metrics-');
    const path = join(dir, 'kubejoin.prom');
    await writeTextfile(path, 'a 1\n');
    await writeTextfile(path, 'a 2\n');
    assert.equal(await readFile(path, 'utf8'), 'a 2\n');
    assert.deepEqual(await readdir(dir), ['kubejoin.prom']);
  });
});
