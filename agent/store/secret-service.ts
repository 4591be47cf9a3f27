import { connect, type Socket } from 'node:net';
import { parseDuration } from '../protocol/duration.js';
import { message, replies, type Call, type Value } from './dbus-wire.js';
import { pairMatches, splitPem, type CertAndKey } from './pem-pair.js';

// One keychain read without keytar, for the kubectl exec plugin (docs/stores.md §2): the Secret
// Service's own D-Bus API (SearchItems, then GetSecrets over a "plain" session), spoken from
// JavaScript over the session bus socket. No native code runs, so nothing here can crash the
// process the way libsecret does on a locked collection, and a socket and a timer bound it, so
// no helper process is needed. Only the definite answer is taken: an unlocked item's secret.
// Anything else (no bus, no Secret Service, a locked or missing item, an error) returns
// undefined and the caller asks keytar through its helper as before.

// The exec plugin loads only this file and its two helpers, not the store (keychain.ts,
// keytar-child.ts and what they import): so the names and the bound are repeated here, and
// test/unit/cli/credential.test.ts holds them equal to keychain.ts's and keytar-child.ts's.

/** keychain.ts's service name. */
export function serviceName(env: NodeJS.ProcessEnv): string {
  return env.KUBEJOIN_KEYCHAIN_SERVICE || 'kubejoin';
}

/** keychain.ts's account of a node's current credential. */
export function credentialAccount(nodeName: string, server: string): string {
  return `${nodeName}@${server}#credential`;
}

/** keytar-child.ts's bound on a keychain call (default 10 s, KUBEJOIN_KEYCHAIN_TIMEOUT). */
export function boundMs(env: NodeJS.ProcessEnv): number {
  const ms = env.KUBEJOIN_KEYCHAIN_TIMEOUT ? parseDuration(env.KUBEJOIN_KEYCHAIN_TIMEOUT) : undefined;
  return ms !== undefined && ms > 0 ? ms : 10_000;
}

/** No answer within the bound: the words of keytar-child.ts's timeout. */
export class SecretServiceTimeout extends Error {
  readonly kind = 'timeout';
  constructor(ms: number) {
    super(`the keychain did not answer within ${ms / 1000} s (is it locked, or waiting for an unlock prompt?)`);
    this.name = 'SecretServiceTimeout';
  }
}

/**
 * The current credential of a node as `kubejoin credential` needs it: the `#credential` entry,
 * unlocked, its key and certificate matching; undefined when that is not the answer (the
 * caller then reads through keytar: older layouts, an interrupted rotation, a locked keyring).
 */
export async function readCredentialDirect(env: NodeJS.ProcessEnv, nodeName: string, server: string): Promise<CertAndKey | undefined> {
  const text = await readUnlockedSecret(env, keytarAttributes(serviceName(env), credentialAccount(nodeName, server)), boundMs(env));
  const pair = text ? splitPem(text) : undefined;
  return pair && pairMatches(pair.certPem, pair.keyPem) ? pair : undefined;
}

/** The attributes keytar's libsecret backend stores with each entry. */
export function keytarAttributes(service: string, account: string): Record<string, string> {
  return { 'xdg:schema': 'org.freedesktop.Secret.Generic', service, account };
}

/** The unix socket of a D-Bus address (`unix:path=…` or `unix:abstract=…`), or undefined. */
export function busSocketPath(address: string | undefined): string | undefined {
  for (const one of (address ?? '').split(';')) {
    const m = /^unix:(.*)$/.exec(one);
    if (!m) continue;
    const kv = Object.fromEntries(m[1]!.split(',').map((p) => [p.slice(0, p.indexOf('=')), decodeURIComponent(p.slice(p.indexOf('=') + 1))]));
    if (kv.path) return kv.path;
    if (kv.abstract) return `\0${kv.abstract}`;
  }
  return undefined;
}

const SECRETS = { dest: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets', iface: 'org.freedesktop.Secret.Service' };

/**
 * The secret of the unlocked item with these attributes, read over the session bus; undefined
 * for any other outcome (see the top of this file). No answer within `timeoutMs` throws the
 * keychain's timeout, as a helper's would: asking keytar next would only wait as long again.
 */
export async function readUnlockedSecret(env: NodeJS.ProcessEnv, attributes: Record<string, string>, timeoutMs: number): Promise<string | undefined> {
  return (await ask(env, attributes, timeoutMs, 'secret'))?.secret;
}

/**
 * Whether the entry with these attributes exists only locked: keytar reads such an entry as
 * none once its unlock prompt is dismissed (or cannot be shown), and the operator must hear
 * "locked", not "gone" (agent/store/keychain-problem.ts). False for any other answer, or none.
 */
export async function lockedEntry(env: NodeJS.ProcessEnv, attributes: Record<string, string>, timeoutMs: number): Promise<boolean> {
  try {
    return (await ask(env, attributes, timeoutMs, 'locked'))?.locked === true;
  } catch {
    return false;
  }
}

interface Found {
  secret?: string;
  /** Only locked items match. */
  locked: boolean;
}

async function ask(env: NodeJS.ProcessEnv, attributes: Record<string, string>, timeoutMs: number, want: 'secret' | 'locked'): Promise<Found | undefined> {
  const path = busSocketPath(env.DBUS_SESSION_BUS_ADDRESS);
  if (!path || process.platform !== 'linux' || typeof process.getuid !== 'function') return undefined;
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<Found>((resolve, reject) => {
        socket = connect(path);
        conversation(socket, attributes, want, resolve, reject);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SecretServiceTimeout(timeoutMs)), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof SecretServiceTimeout) throw err;
    return undefined;
  } finally {
    clearTimeout(timer);
    socket?.destroy();
  }
}

function conversation(
  socket: Socket,
  attributes: Record<string, string>,
  want: 'secret' | 'locked',
  resolve: (v: Found) => void,
  reject: (e: Error) => void,
): void {
  let authenticated = false;
  let pending = Buffer.alloc(0);
  let items: string[] | undefined;
  socket.on('error', reject);
  socket.on('close', () => reject(new Error('the bus closed the connection')));
  socket.on('connect', () => socket.write(`\0AUTH EXTERNAL ${Buffer.from(String(process.getuid!())).toString('hex')}\r\n`));
  const send = (serial: number, call: Call): boolean => socket.write(message(serial, call));
  // One call to the Secret Service at a time, each sent once the one before it is answered, so
  // that every way out but the timeout leaves no call in flight: gnome-keyring (seen with 42.1,
  // reported with 50) aborts, and takes every program's keyring with it, when a client that asked
  // for a session is gone before the session is made (docs/stores.md §2).
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    if (!authenticated) {
      const eol = pending.indexOf('\r\n');
      if (eol < 0) return;
      if (!pending.subarray(0, eol).toString().startsWith('OK ')) return reject(new Error('the bus refused the authentication'));
      authenticated = true;
      pending = pending.subarray(eol + 2);
      socket.write('BEGIN\r\n');
      // Pipelined behind Hello, which the bus answers itself, before it passes on the next call.
      send(1, { dest: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus', member: 'Hello' });
      send(2, {
        ...SECRETS,
        member: 'SearchItems',
        sig: 'a{ss}',
        body: (w) =>
          w.array(8, () => {
            for (const [k, v] of Object.entries(attributes)) {
              w.align(8);
              w.s(k);
              w.s(v);
            }
          }),
      });
    }
    const { found, used } = replies(pending);
    pending = pending.subarray(used);
    for (const r of found) {
      if (r.error) return reject(new Error('the Secret Service answered with an error'));
      if (r.to === 2) {
        items = r.values[0] as string[]; // unlocked ones only; locked ones: keytar's way
        if (want === 'locked') return resolve({ locked: items.length === 0 && (r.values[1] as string[]).length > 0 });
        if (items.length === 0) return resolve({ locked: false });
        send(3, { ...SECRETS, member: 'OpenSession', sig: 'sv', body: (w) => (w.s('plain'), w.g('s'), w.s('')) });
      }
      if (r.to === 3) {
        const session = r.values[1] as string;
        send(4, {
          ...SECRETS,
          member: 'GetSecrets',
          sig: 'aoo',
          body: (w) => {
            w.array(4, () => w.s(items![0]!));
            w.s(session);
          },
        });
      }
      if (r.to === 4) {
        const secret = (r.values[0] as Map<unknown, Value>).get(items![0]) as Value[] | undefined;
        return resolve({ locked: false, ...(secret ? { secret: (secret[2] as Buffer).toString('utf8') } : {}) });
      }
    }
  });
}
