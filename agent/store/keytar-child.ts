import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseDuration } from '../protocol/duration.js';

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

const CHILD = `
const keytar = require(process.argv[1]);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', async () => {
  const out = [];
  try {
    for (const o of JSON.parse(input)) {
      if (o.op === 'find') out.push((await keytar.findCredentials(o.service)).map((c) => c.account));
      else if (o.op === 'get') out.push(await keytar.getPassword(o.service, o.account));
      else if (o.op === 'set') out.push((await keytar.setPassword(o.service, o.account, o.password), true));
      else out.push(await keytar.deletePassword(o.service, o.account));
    }
    process.stdout.write(JSON.stringify({ ok: out }));
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: String((e && e.message) || e).split('\\n')[0], done: out.length }));
  }
});
`;

/** A keychain failure, in words; `kind` lets callers tell "no answer" from "refused". */
export class KeychainCallError extends Error {
  constructor(message: string, readonly kind: 'timeout' | 'cancelled' | 'crashed' | 'unavailable' | 'refused') {
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

/** Runs `ops` in order in one child process; all answers, or the first failure. */
export function runKeytar(ops: readonly KeytarOp[], opts: { env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<KeytarAnswer[]> {
  const timeoutMs = keychainTimeoutMs(opts.env);
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new KeychainCallError('the keychain call was cancelled', 'cancelled'));
    const child = spawn(process.execPath, ['-e', CHILD, keytarPath()], {
      // Inside Electron, process.execPath is the app: run it as plain Node for this.
      env: { ...opts.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let ended: KeychainCallError | undefined;
    const end = (why: KeychainCallError): void => {
      ended ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => end(new KeychainCallError(`the keychain did not answer within ${timeoutMs / 1000} s (is it locked, or waiting for an unlock prompt?)`, 'timeout')), timeoutMs);
    const onAbort = (): void => end(new KeychainCallError('the keychain call was cancelled', 'cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    child.on('error', (err) => end(new KeychainCallError(`the keychain helper cannot start: ${err.message}`, 'unavailable')));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (ended) return reject(ended);
      let answer: { ok?: KeytarAnswer[]; error?: string } | undefined;
      try {
        answer = JSON.parse(stdout) as typeof answer;
      } catch {
        answer = undefined;
      }
      if (answer?.ok) return resolve(answer.ok);
      if (answer?.error) return reject(new KeychainCallError(answer.error, 'refused'));
      if (signal) return reject(new KeychainCallError(`the keychain helper crashed (${signal}); libsecret does this on a locked collection when no unlock prompt can be shown`, 'crashed'));
      const line = stderr.split('\n').find((l) => /Error|error/.test(l)) ?? stderr.split('\n')[0] ?? '';
      reject(new KeychainCallError(`the keychain helper failed (exit ${code}): ${line.trim()}`, /Cannot find module|was compiled against|dlopen|\.node/.test(stderr) ? 'unavailable' : 'refused'));
    });
    child.stdin.end(JSON.stringify(ops));
  });
}
