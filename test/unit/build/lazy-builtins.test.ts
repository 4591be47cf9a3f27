// The packaged executable starts from a V8 startup snapshot (build/packages/sea-snapshot.ts),
// which Node cannot make while node:http, node:https or node:tls is loaded; the build's
// stand-ins (build/packages/lazy-builtins.mjs) load them on first use. Checked here with a real
// `node --build-snapshot` of a small module that uses them the way agent/transport/ does (an
// https.Agent subclass at module level, tls and http calls), then run from that snapshot.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build, type Plugin } from 'esbuild';
import { ROOT, run } from '../../helpers/cli.js';
import { workdir } from '../../helpers/temp.js';

// A module under agent/ (the stand-ins apply to our modules' imports only).
const MODULE = `import https from 'node:https';
import tls from 'node:tls';
import { createServer } from 'node:http';
export class Pinned extends https.Agent {
  constructor() { super({ keepAlive: true }); }
  get pinned() { return true; }
}
export const connect = (...args) => tls.connect(...args);
export const serve = () => createServer();`;

const ENTRY = `import { startupSnapshot } from 'node:v8';
import { Pinned, connect, serve } from './agent/transport.js';
startupSnapshot.setDeserializeMainFunction(() => {
  const https = require('node:https');
  const agent = new Pinned();
  const server = serve();
  console.log(JSON.stringify({
    isAgent: agent instanceof https.Agent,
    isPinned: agent instanceof Pinned && agent.pinned,
    keepAlive: agent.keepAlive,
    addRequest: typeof agent.addRequest,
    connect: typeof connect,
    server: server instanceof require('node:http').Server,
  }));
});`;

async function bundle(dir: string, withStandIns: boolean): Promise<string> {
  await mkdir(join(dir, 'agent'), { recursive: true });
  await writeFile(join(dir, 'agent/transport.js'), MODULE);
  await writeFile(join(dir, 'entry.js'), ENTRY);
  const { lazyBuiltins } = (await import(join(ROOT, 'build/packages/lazy-builtins.mjs'))) as { lazyBuiltins: Plugin };
  const out = join(dir, withStandIns ? 'with.cjs' : 'without.cjs');
  await build({
    entryPoints: [join(dir, 'entry.js')],
    outfile: out,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    logLevel: 'silent',
    plugins: withStandIns ? [lazyBuiltins] : [],
  });
  return out;
}

describe('the startup snapshot and node:http/https/tls (build/packages/lazy-builtins.mjs)', () => {
  it('valid: with the stand-ins the snapshot is made, and from it the agent is a real https.Agent', async (t) => {
    const dir = await workdir(t);
    const blob = join(dir, 'snap.blob');
    const made = await run(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', await bundle(dir, true)]);
    assert.equal(made.code, 0, made.stderr);
    const ran = await run(process.execPath, ['--snapshot-blob', blob]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), { isAgent: true, isPinned: true, keepAlive: true, addRequest: 'function', connect: 'function', server: true });
  });

  it('invalid: without them Node cannot make the snapshot (the reason the stand-ins exist)', async (t) => {
    const dir = await workdir(t);
    const made = await run(process.execPath, ['--snapshot-blob', join(dir, 'snap.blob'), '--build-snapshot', await bundle(dir, false)]);
    assert.notEqual(made.code, 0, 'this Node makes a snapshot with node:http/https/tls loaded: the stand-ins may no longer be needed');
  });
});
