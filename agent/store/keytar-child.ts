import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { parseDuration } from '../protocol/duration.js';
import { isSingleExecutable, loadKeytar, type Keytar } from './keytar-loader.js';

// Every keytar call runs in a child process (docs/stores.md §2): bounded (default 10 s,
// KUBEJOIN_KEYCHAIN_TIMEOUT), killed with the join's cancel, and nothing it does can hurt
// this process: a call blocked on an unlock prompt, or libsecret crashing on a locked
// collection (it does: SIGSEGV in findCredentials), ends the child, not the join, and never
// holds one of libuv's threadpool threads here. Secrets travel over stdin/stdout, never argv.

export type KeytarOp =
  | { op: 'find'; service: string }
  | { op: 'get'; service: string; account: string }
  | { op: 'set'; service: string; account: string; password: string }
  | { op: 'delete'; service: string; account: string };

/** find: the accounts (never their secrets); get: the secret or null; set: true; delete: found. */
export type KeytarAnswer = string[] | string | null | boolean;

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 10_000;

// One child per process, started on the first call and reused: a line of JSON in
// ({ id, ops }), a line out ({ id, ok } or { id, error }). Killed on a timeout or cancel, or
// when it crashes; the next call starts a new one.
/**
 * The one op loop: run in this process where no helper can be started, and sent as source text
 * to the helper process (so it must stay self-contained: no imports, no outer names).
 */
async function runOps(keytar: Keytar, ops: readonly KeytarOp[]): Promise<KeytarAnswer[]> {
  const out: KeytarAnswer[] = [];
  for (const o of ops) {
    if (o.op === 'find') out.push((await keytar.findCredentials(o.service)).map((c) => c.account));
    else if (o.op === 'get') out.push(await keytar.getPassword(o.service, o.account));
    else if (o.op === 'set') out.push((await keytar.setPassword(o.service, o.account, o.password), true));
    else out.push(await keytar.deletePassword(o.service, o.account));
  }
  return out;
}

const CHILD = `
const keytar = require(process.argv[1]);
const runOps = ${runOps.toString()};
const rl = require('node:readline').createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => (queue = queue.then(async () => {
  const { id, ops } = JSON.parse(line);
  try {
    process.stdout.write(JSON.stringify({ id, ok: await runOps(keytar, ops) }) + '\\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, error: String((e && e.message) || e).split('\\n')[0] }) + '\\n');
  }
})));
rl.on('close', () => queue.then(() => process.exit(0)));
`;

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

function keytarPath(): string {
  try {
    return createRequire(import.meta.url).resolve('keytar');
  } catch (err) {
    throw new KeychainCallError(`the keytar native module cannot be found (${(err as Error).message.split('\n')[0]})`, 'unavailable');
  }
}

interface Call {
  resolve: (answers: KeytarAnswer[]) => void;
  reject: (err: KeychainCallError) => void;
}

/** The helper process: one at a time, started on demand, never keeping this process alive. */
class Helper {
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private stderr = '';
  private ended: KeychainCallError | undefined;
  readonly child: ChildProcessWithoutNullStreams;

  constructor(
    env: NodeJS.ProcessEnv,
    private readonly onGone: () => void,
  ) {
    // Inside Electron, process.execPath is the app: run it as plain Node for this.
    this.child = spawn(process.execPath, ['-e', CHILD, keytarPath()], { env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr] as unknown as { unref?: () => void }[]) s.unref?.();
    this.child.stdin.on('error', () => undefined);
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let msg: { id?: number; ok?: KeytarAnswer[]; error?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        return;
      }
      const call = msg.id === undefined ? undefined : this.calls.get(msg.id);
      if (!call) return;
      this.calls.delete(msg.id!);
      if (msg.ok) call.resolve(msg.ok);
      else call.reject(new KeychainCallError(msg.error ?? 'unknown keychain error', 'refused'));
    });
    this.child.on('error', (err) => this.end(new KeychainCallError(`the keychain helper cannot start: ${err.message}`, 'unavailable')));
    this.child.on('close', (code, signal) => {
      const line = this.stderr.split('\n').find((l) => /Error|error/.test(l)) ?? this.stderr.split('\n')[0] ?? '';
      this.end(
        signal
          ? new KeychainCallError(
              `the keychain helper crashed (${signal}); libsecret does this on a locked collection when no unlock prompt can be shown`,
              'crashed',
            )
          : new KeychainCallError(
              `the keychain helper failed (exit ${code}): ${line.trim()}`,
              /Cannot find module|was compiled against|dlopen|\.node/.test(this.stderr) ? 'unavailable' : 'refused',
            ),
      );
    });
  }

  /** Ends the helper: every call still waiting fails with `why`. */
  end(why: KeychainCallError): void {
    this.ended ??= why;
    this.onGone();
    this.child.kill('SIGKILL');
    for (const call of this.calls.values()) call.reject(this.ended);
    this.calls.clear();
  }

  call(ops: readonly KeytarOp[]): { id: number; answer: Promise<KeytarAnswer[]> } {
    const id = this.nextId++;
    const answer = new Promise<KeytarAnswer[]>((resolve, reject) => {
      if (this.ended) return reject(this.ended);
      this.calls.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, ops })}\n`);
    });
    return { id, answer };
  }
}

let helper: Helper | undefined;

/**
 * Inside Electron there is no plain Node to start (the packaged app's runAsNode fuse is off,
 * so ELECTRON_RUN_AS_NODE would start a second app), nor in a single executable: keytar runs
 * in-process there, raced against the same bound and cancel. Known gap (docs/stores.md §2): an abandoned call keeps
 * a threadpool thread, and a libsecret crash ends the app.
 */
async function runInProcess(ops: readonly KeytarOp[]): Promise<KeytarAnswer[]> {
  // The single executable finds its addon beside itself (keytar-loader.ts).
  const keytar = await loadKeytar();
  try {
    return await runOps(keytar, ops);
  } catch (err) {
    throw new KeychainCallError(((err as Error).message ?? String(err)).split('\n')[0] ?? '', 'refused');
  }
}

/** Runs `ops` in order in the helper process; all answers, or the first failure. */
export async function runKeytar(ops: readonly KeytarOp[], opts: { env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<KeytarAnswer[]> {
  const timeoutMs = keychainTimeoutMs(opts.env);
  if (opts.signal?.aborted) throw new KeychainCallError('the keychain call was cancelled', 'cancelled');
  let answer: Promise<KeytarAnswer[]>;
  let end: (why: KeychainCallError) => void;
  let cancelled: (why: KeychainCallError) => void = () => undefined;
  if (process.versions.electron || isSingleExecutable()) {
    answer = Promise.race([runInProcess(ops), new Promise<never>((_, reject) => (cancelled = reject))]);
    end = (why) => cancelled(why);
  } else {
    const h = (helper ??= new Helper(opts.env, () => {
      if (helper === h) helper = undefined;
    }));
    answer = h.call(ops).answer;
    end = (why) => h.end(why);
  }
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => end(new KeychainCallError('the keychain call was cancelled', 'cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      answer,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const why = new KeychainCallError(
            `the keychain did not answer within ${timeoutMs / 1000} s (is it locked, or waiting for an unlock prompt?)`,
            'timeout',
          );
          end(why);
          reject(why);
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
