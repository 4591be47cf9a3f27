import { Writable } from 'node:stream';
import { maskSecrets } from '../contract/index.js';

// The CLI's output goes through the one masking rule (agent/contract/mask.ts): stderr for
// every command, stdout too where a command never prints a secret on purpose (join).

/** The flags whose values are secrets, whatever their shape. */
const SECRET_FLAGS = ['--token', '--tls-bootstrap-token'];

/** Values given to secret flags in argv (`--token X` and `--token=X`). */
export function secretArguments(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((arg, i) => {
    for (const flag of SECRET_FLAGS) {
      if (arg === flag && argv[i + 1] !== undefined) out.push(argv[i + 1]!);
      else if (arg.startsWith(`${flag}=`)) out.push(arg.slice(flag.length + 1));
    }
  });
  return out;
}

/** A stream through the mask: nothing written to it can show a token secret. */
export function maskedStream<T extends Writable & { isTTY?: boolean; columns?: number }>(target: T, secrets: readonly string[]): T {
  const stream = new Writable({
    // Passed straight through (as an unwrapped stderr would be), so nothing waits in a buffer.
    write(chunk: Buffer | string, _encoding, done) {
      target.write(maskSecrets(chunk.toString(), secrets));
      done();
    },
  });
  return Object.assign(stream, { isTTY: target.isTTY, columns: target.columns }) as unknown as T;
}
