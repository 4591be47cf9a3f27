import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as KeytarModule from 'keytar';

// Where keytar comes from. From npm (dist/cli.mjs, tests, the Electron app): the `keytar`
// package. In the single executable of the edge packages (Node SEA, build/packages/), there is
// no node_modules: the native addon is shipped as a file, beside the executable
// (`keytar-linux-<arch>.node` or `keytar.node`) or in ../lib/kubejoin/ and /usr/lib/kubejoin/
// (deb and rpm), and is loaded from there. An architecture the addon could not be built for
// has none: the reason says so, and `--store auto` uses files.

export type Keytar = typeof KeytarModule.default;

/**
 * The first argument that makes the single executable a keychain helper instead of the CLI
 * (keytar-child.ts starts it so; agent/cli/main.ts checks it). Not a command: not in the help.
 */
export const KEYCHAIN_HELPER_ARG = '--kubejoin-keychain-helper';

/** True inside a Node single executable application. */
export function isSingleExecutable(): boolean {
  try {
    // createRequire(execPath) works in the SEA's CommonJS script and in ESM alike; node:sea
    // is missing before Node 20.12, which is no SEA either.
    return (createRequire(process.execPath)('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

/** The places a single executable looks for the keytar addon, in order. */
export function keytarAddonCandidates(execPath = process.execPath, arch = process.arch): string[] {
  const here = dirname(execPath);
  // <prefix>/bin/kubejoin finds <prefix>/lib/kubejoin/keytar.node (the deb and rpm layout,
  // also when unpacked elsewhere).
  const candidates = [
    join(here, `keytar-linux-${arch}.node`),
    join(here, 'keytar.node'),
    join(here, '../lib/kubejoin/keytar.node'),
    '/usr/lib/kubejoin/keytar.node',
  ];
  return [...new Set(candidates)];
}

type NativeKeytar = Pick<Keytar, 'getPassword' | 'setPassword' | 'deletePassword' | 'findPassword' | 'findCredentials'>;

function required(value: string, name: string): void {
  if (!value) throw new Error(`${name} is required.`);
}

/** keytar's own JavaScript wrapper (lib/keytar.js) around the addon's functions. */
function wrap(native: NativeKeytar): Keytar {
  return {
    getPassword: (service, account) => (required(service, 'Service'), required(account, 'Account'), native.getPassword(service, account)),
    setPassword: (service, account, password) => (
      required(service, 'Service'),
      required(account, 'Account'),
      required(password, 'Password'),
      native.setPassword(service, account, password)
    ),
    deletePassword: (service, account) => (required(service, 'Service'), required(account, 'Account'), native.deletePassword(service, account)),
    findPassword: (service) => (required(service, 'Service'), native.findPassword(service)),
    findCredentials: (service) => (required(service, 'Service'), native.findCredentials(service)),
  };
}

function loadAddon(): Keytar {
  const candidates = keytarAddonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(`this kubejoin executable (linux-${process.arch}) has no keytar addon: none at ${candidates.join(', ')}`);
  }
  return wrap(createRequire(process.execPath)(path) as NativeKeytar);
}

export async function loadKeytar(): Promise<Keytar> {
  if (isSingleExecutable()) return loadAddon();
  return (await import('keytar')).default;
}
