// One hostile join: the CLI against an attacker, with the checks every case shares.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { assertNoSecret, cliEnv, fileStoreFlags, uniqueName } from '../../helpers/cli.js';
import { filesUnder, workdir } from '../../helpers/temp.js';
import { assertBounded, measuredKubejoin, type Measured } from './measure.js';
import type { Recorder } from './servers.js';

const alnum = (n: number): string => Array.from(randomBytes(n), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');

/** A token no cluster knows (the attacker cannot sign with it). */
export function strangerToken(): string {
  return `${alnum(6)}.${alnum(16)}`;
}

/** A pin no attacker's CA matches. */
export const STRANGER_PIN = `sha256:${'ab'.repeat(32)}`;

export interface HostileJoin {
  server: Recorder;
  token?: string;
  pin?: string;
  discoveryTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  extra?: string[];
}

/**
 * Joins through `server` and asserts what holds for every attack: the join ends within
 * T + 1 s and below 1.6x a bare node's memory, the token never reached the server, nothing
 * was written, and no secret was printed.
 */
export async function hostileJoin(t: TestContext, opts: HostileJoin): Promise<Measured> {
  t.after(() => opts.server.close());
  const dir = await workdir(t);
  const token = opts.token ?? strangerToken();
  const T = opts.discoveryTimeoutMs ?? 3000;
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const args = [
    'join',
    opts.server.endpoint,
    '--token-file',
    join(dir, 'token'),
    '--discovery-token-ca-cert-hash',
    opts.pin ?? STRANGER_PIN,
    '--node-name',
    uniqueName('hostile'),
    '--discovery-timeout',
    `${T}ms`,
    ...fileStoreFlags(dir),
    ...(opts.extra ?? []),
  ];
  const r = await measuredKubejoin(args, cliEnv(opts.env ?? {}));
  assertNoSecret(r, token);
  assert.deepEqual(opts.server.authorizations, [], 'no Authorization header ever reached the hostile server');
  assert.deepEqual(await filesUnder(dir), ['token'], 'nothing written');
  await assertBounded(r, T);
  return r;
}
