import type { Readable, Writable } from 'node:stream';

/** What a command may touch: injected so tests can run commands in-process. */
export interface CliContext {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

/** One CLI command: its help beside its code (see corepack's layout). */
export interface Command {
  name: string;
  /** One line for `kubejoin --help`. */
  summary: string;
  /** Full help: usage, flags, examples. */
  help: string;
  /** Returns the process exit code. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}
