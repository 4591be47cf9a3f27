// Entry point of the desktop app's keychain helper, run by Electron's utilityProcess
// (main/keychain-launcher.ts; docs/stores.md §2). Bundled to dist/main/keychain-helper.cjs.
// Requests arrive as messages on process.parentPort and are answered the same way.
import type { Keytar } from '../agent/index.js';
import { answerInOrder, runOps, type HelperRequest, type HelperReply } from '../agent/store/keytar-serve.js';

/** Electron's process.parentPort, as the helper uses it. */
interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
  postMessage(message: HelperReply): void;
}

async function serve(): Promise<void> {
  const port = (process as { parentPort?: ParentPortLike }).parentPort;
  if (!port) {
    process.stderr.write('kubejoin keychain helper: not started by utilityProcess (no process.parentPort)\n');
    process.exit(2);
  }
  let keytar: Keytar;
  try {
    keytar = (await import('keytar')).default;
  } catch (err) {
    process.stderr.write(`kubejoin keychain helper: keytar cannot be loaded: ${(err as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  }
  answerInOrder(
    keytar,
    runOps,
    (on) => port.on('message', (e) => on(e.data as HelperRequest)),
    (msg) => port.postMessage(msg),
  );
}

void serve();
