import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { parseDuration } from '../protocol/duration.js';
import { KEYCHAIN_HELPER_ARG, isSingleExecutable } from './keytar-loader.js';
import { NODE_HELPER_SCRIPT, type HelperReply, type HelperRequest, type KeytarAnswer, type KeytarOp } from './keytar-serve.js';

export type { KeytarAnswer, KeytarOp } from './keytar-serve.js';

// Every keytar call runs in a helper process (docs/stores.md §2): bounded (default 10 s,
// KUBEJOIN_KEYCHAIN_TIMEOUT), killed with the join's cancel, and nothing it does can hurt
// this process: a call blocked on an unlock prompt, or libsecret crashing on a locked
// collection (it does: SIGSEGV in findCredentials), ends the helper, not the join, and never
// holds one of libuv's threadpool threads here. Secrets travel over pipes or messages, never argv.
//
// Which process: `node -e` for npm installs, the single executable started again as its own
// helper, and in Electron a utilityProcess that main/ installs with setKeychainHelperLauncher.

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 10_000;

/** A keychain failure, in words; `kind` lets callers tell "no answer" from "refused". */
export class KeychainCallError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'cancelled' | 'crashed' | 'unavailable' | 'refused',
  ) {
    super(message);
    this.name = 'KeychainCallError';
  }
}

export function keychainTimeoutMs(env: NodeJS.ProcessEnv): number {
  const ms = env.KUBEJOIN_KEYCHAIN_TIMEOUT ? parseDuration(env.KUBEJOIN_KEYCHAIN_TIMEOUT) : undefined;
  return ms !== undefined && ms > 0 ? ms : DEFAULT_KEYCHAIN_TIMEOUT_MS;
}

/** What a launcher reports about the helper it started. */
export interface HelperEvents {
  reply(msg: HelperReply): void;
  /** The helper ended: a signal means it crashed; `output` is the tail of what it printed. */
  exit(code: number | null, signal: string | null, output: string): void;
  /** It could not be started at all. */
  error(err: Error): void;
}

/** A started helper: requests go in; it never keeps this process alive. */
export interface HelperChannel {
  send(req: HelperRequest): void;
  kill(): void;
}

/** Starts one helper process. */
export type KeychainHelperLauncher = (events: HelperEvents, env: NodeJS.ProcessEnv) => HelperChannel;

/**
 * What the keychain helper may see of the environment (docs/stores.md §2): what libsecret needs
 * to find the session bus and the keyring (DBUS_SESSION_BUS_ADDRESS, or XDG_RUNTIME_DIR's bus;
 * DISPLAY and XAUTHORITY for D-Bus autolaunch), HOME, PATH, the user and the locale, and on
 * Windows the system's own variables Node and Credential Manager need. Nothing else: never
 * KUBEJOIN_TOKEN, a proxy or its password, NODE_OPTIONS. The helper reads no KUBEJOIN_*
 * variable itself (the timeout and the service name are applied by this process).
 */
const HELPER_ENV_NAMES = new Set([
  'DBUS_SESSION_BUS_ADDRESS',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'XAUTHORITY',
  'GNOME_KEYRING_CONTROL',
  'HOME',
  'PATH',
  'USER',
  'LOGNAME',
  'LANG',
  'LANGUAGE',
  'TMPDIR',
  'SYSTEMROOT',
  'WINDIR',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
  'TEMP',
  'TMP',
  'USERNAME',
  'USERDOMAIN',
]);
const HELPER_ENV_PREFIXES = ['XDG_', 'LC_'];

/** The keychain helper's environment, made from `env` (both launchers use it: main/keychain-launcher.ts). */
export function helperEnv(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    // Windows names are case-insensitive (Path, SystemRoot); elsewhere they are exact.
    const key = platform === 'win32' ? name.toUpperCase() : name;
    if (value !== undefined && (HELPER_ENV_NAMES.has(key) || HELPER_ENV_PREFIXES.some((p) => key.startsWith(p)))) out[name] = value;
  }
  return out;
}

/** A helper speaking JSON lines over stdin/stdout (node -e, the single executable). */
export function stdioLauncher(command: string, args: readonly string[]): KeychainHelperLauncher {
  return (events, env) => {
    const child = spawn(command, args, { env: helperEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        events.reply(JSON.parse(line) as HelperReply);
      } catch {
        // not an answer: ignored
      }
    });
    child.on('error', (err) => events.error(err));
    child.on('close', (code, signal) => events.exit(code, signal, output));
    return { send: (req) => void child.stdin.write(`${JSON.stringify(req)}\n`), kill: () => void child.kill('SIGKILL') };
  };
}

let installed: KeychainHelperLauncher | undefined;
/** The running helper, if any (one per process). */
let helper: Helper | undefined;

/** For hosts that start processes their own way (Electron's utilityProcess, main/). */
export function setKeychainHelperLauncher(launcher: KeychainHelperLauncher | undefined): void {
  installed = launcher;
  // A helper started another way is ended: the next call starts one with this launcher.
  helper?.end(new KeychainCallError('the keychain helper was replaced', 'cancelled'));
}

function defaultLauncher(): KeychainHelperLauncher {
  if (installed) return installed;
  // The single executable cannot run `-e <script>`: it starts itself as the helper, and
  // loads the addon shipped beside it (keytar-loader.ts).
  if (isSingleExecutable()) return stdioLauncher(process.execPath, [KEYCHAIN_HELPER_ARG]);
  if (process.versions.electron) {
    // The packaged app has the runAsNode fuse off: there is no plain Node to start.
    throw new KeychainCallError('no keychain helper is installed in this Electron process (setKeychainHelperLauncher)', 'unavailable');
  }
  let keytarPath: string;
  try {
    keytarPath = createRequire(import.meta.url).resolve('keytar');
  } catch (err) {
    throw new KeychainCallError(`the keytar native module cannot be found (${(err as Error).message.split('\n')[0]})`, 'unavailable');
  }
  return stdioLauncher(process.execPath, ['-e', NODE_HELPER_SCRIPT, keytarPath]);
}

interface Call {
  resolve: (answers: KeytarAnswer[]) => void;
  reject: (err: KeychainCallError) => void;
}

/** The helper process: one at a time, started on demand, reused. */
class Helper {
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private ended: KeychainCallError | undefined;
  private readonly channel: HelperChannel;

  constructor(
    launcher: KeychainHelperLauncher,
    env: NodeJS.ProcessEnv,
    private readonly onGone: () => void,
  ) {
    this.channel = startHelper(
      launcher,
      {
        reply: (msg) => {
          const call = this.calls.get(msg.id);
          if (!call) return;
          this.calls.delete(msg.id);
          if (msg.ok) call.resolve(msg.ok);
          else call.reject(new KeychainCallError(msg.error ?? 'unknown keychain error', 'refused'));
        },
        error: (err) => this.end(new KeychainCallError(`the keychain helper cannot start: ${err.message}`, 'unavailable')),
        exit: (code, signal, output) => this.end(exitReason(code, signal, output)),
      },
      env,
    );
  }

  /** Ends the helper: every call still waiting fails with `why`. */
  end(why: KeychainCallError): void {
    this.ended ??= why;
    this.onGone();
    this.channel.kill();
    for (const call of this.calls.values()) call.reject(this.ended);
    this.calls.clear();
  }

  call(ops: readonly KeytarOp[]): Promise<KeytarAnswer[]> {
    const id = this.nextId++;
    return new Promise<KeytarAnswer[]>((resolve, reject) => {
      if (this.ended) return reject(this.ended);
      this.calls.set(id, { resolve, reject });
      this.channel.send({ id, ops });
    });
  }
}

/** Starts a helper; a launcher that throws (e.g. utilityProcess before the app is ready) is "unavailable". */
function startHelper(launcher: KeychainHelperLauncher, events: HelperEvents, env: NodeJS.ProcessEnv): HelperChannel {
  try {
    return launcher(events, env);
  } catch (err) {
    throw new KeychainCallError(`the keychain helper cannot start: ${(err as Error).message}`, 'unavailable');
  }
}

function exitReason(code: number | null, signal: string | null, output: string): KeychainCallError {
  if (signal) {
    return new KeychainCallError(
      `the keychain helper crashed (${signal}); libsecret does this on a locked collection when no unlock prompt can be shown`,
      'crashed',
    );
  }
  const line = output.split('\n').find((l) => /Error|error|keychain helper/.test(l)) ?? output.split('\n')[0] ?? '';
  return new KeychainCallError(
    `the keychain helper failed (exit ${code}): ${line.trim()}`,
    /Cannot find module|was compiled against|dlopen|\.node/.test(output) ? 'unavailable' : 'refused',
  );
}

function currentHelper(env: NodeJS.ProcessEnv): Helper {
  if (helper) return helper;
  const h: Helper = new Helper(defaultLauncher(), env, () => {
    if (helper === h) helper = undefined;
  });
  return (helper = h);
}

/**
 * Starts the helper now, before the first call: a process whose keychain work is known when it
 * starts (`kubejoin credential`, the kubectl exec plugin) loads its own code meanwhile
 * (docs/stores.md §2). A helper that cannot start is reported by the first call.
 */
export function prestartKeychainHelper(env: NodeJS.ProcessEnv): void {
  try {
    currentHelper(env);
  } catch {
    // runKeytar throws the same error, in words, where it can be reported
  }
}

/** Runs `ops` in order in the helper process; all answers, or the first failure. */
export async function runKeytar(ops: readonly KeytarOp[], opts: { env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<KeytarAnswer[]> {
  const timeoutMs = keychainTimeoutMs(opts.env);
  if (opts.signal?.aborted) throw new KeychainCallError('the keychain call was cancelled', 'cancelled');
  const h = currentHelper(opts.env);
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => h.end(new KeychainCallError('the keychain call was cancelled', 'cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      h.call(ops),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const why = new KeychainCallError(
            `the keychain did not answer within ${timeoutMs / 1000} s (is it locked, or waiting for an unlock prompt?)`,
            'timeout',
          );
          h.end(why);
          reject(why);
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
