// Runs kubejoin commands in this process (runCli with collected streams): no build needed,
// used by the admin tests. For the built CLI in a child process see cli.ts.
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../agent/cli/main.js';
import type { Run } from './cli.js';

function collector(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (c: string) => (text += c));
  return { stream, text: () => text };
}

/** `kubejoin <args>` in this process; env defaults to none (no KUBECONFIG/HOME leaking in). */
export async function kubejoinInProcess(args: string[], opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<Run> {
  const out = collector();
  const err = collector();
  const code = await runCli(args, {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from([]),
    env: opts.env ?? { HOME: '/nonexistent' },
    signal: opts.signal ?? new AbortController().signal,
  });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}
