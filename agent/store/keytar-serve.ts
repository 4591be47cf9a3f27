import { createInterface } from 'node:readline';
import type { Keytar } from './keytar-loader.js';

// The keychain helper's side (docs/stores.md §2): the loop that runs keytar calls for the
// process that asked. Three hosts run it, all in a process of their own:
// - `node -e <script>` (npm installs): the script is built from the source text of the two
//   functions below, so they must stay self-contained (no imports, no outer names);
// - the single executable started again with KEYCHAIN_HELPER_ARG (keytar-loader.ts), which
//   runs serveKeytarOnStdio;
// - Electron's utilityProcess, with messages instead of lines (main/keychain-helper.ts).

export type KeytarOp =
  | { op: 'find'; service: string }
  | { op: 'get'; service: string; account: string }
  | { op: 'set'; service: string; account: string; password: string }
  | { op: 'delete'; service: string; account: string };

/** find: the accounts (never their secrets); get: the secret or null; set: true; delete: found. */
export type KeytarAnswer = string[] | string | null | boolean;

/** One request to the helper: its ops run in order. */
export interface HelperRequest {
  id: number;
  ops: readonly KeytarOp[];
}

/** The helper's answer to request `id`: every answer, or the first failure's message. */
export interface HelperReply {
  id: number;
  ok?: KeytarAnswer[];
  error?: string;
}

/** The one op loop. Self-contained: its source text is sent to `node -e`. */
export async function runOps(keytar: Keytar, ops: readonly KeytarOp[]): Promise<KeytarAnswer[]> {
  const out: KeytarAnswer[] = [];
  for (const o of ops) {
    if (o.op === 'find') out.push((await keytar.findCredentials(o.service)).map((c) => c.account));
    else if (o.op === 'get') out.push(await keytar.getPassword(o.service, o.account));
    else if (o.op === 'set') out.push((await keytar.setPassword(o.service, o.account, o.password), true));
    else out.push(await keytar.deletePassword(o.service, o.account));
  }
  return out;
}

/**
 * Answers each request in arrival order; returns a function giving the promise of the last
 * answer (for a clean exit once input ends). Self-contained: its source text is sent to `node -e`.
 */
export function answerInOrder(
  keytar: Keytar,
  run: typeof runOps,
  subscribe: (onRequest: (req: HelperRequest) => void) => void,
  reply: (msg: HelperReply) => void,
): () => Promise<void> {
  let queue = Promise.resolve();
  subscribe((req) => {
    queue = queue.then(async () => {
      try {
        reply({ id: req.id, ok: await run(keytar, req.ops) });
      } catch (e) {
        reply({ id: req.id, error: String((e as Error | undefined)?.message ?? e).split('\n')[0] ?? '' });
      }
    });
  });
  return () => queue;
}

/** The `node -e` script: argv[1] is keytar's path; JSON lines in and out over stdin/stdout. */
export const NODE_HELPER_SCRIPT = `
const keytar = require(process.argv[1]);
const rl = require('node:readline').createInterface({ input: process.stdin });
const drained = (${answerInOrder.toString()})(keytar, ${runOps.toString()},
  (on) => rl.on('line', (line) => on(JSON.parse(line))),
  (msg) => process.stdout.write(JSON.stringify(msg) + '\\n'));
rl.on('close', () => drained().then(() => process.exit(0)));
`;

/** The single executable as its own helper: the same lines, keytar from beside the executable. */
export async function serveKeytarOnStdio(load: () => Promise<Keytar>): Promise<void> {
  let keytar: Keytar;
  try {
    keytar = await load();
  } catch (err) {
    process.stderr.write(`kubejoin keychain helper: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const rl = createInterface({ input: process.stdin });
  const drained = answerInOrder(
    keytar,
    runOps,
    (on) => rl.on('line', (line) => on(JSON.parse(line) as HelperRequest)),
    (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`),
  );
  rl.on('close', () => void drained().then(() => process.exit(0)));
}
