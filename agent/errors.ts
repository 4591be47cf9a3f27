import { EXIT_CODES, maskTokenShapes, type ErrorCategory, type ErrorInfo } from './contract/index.js';

/**
 * A failure with a category (hence an exit code), a message a person understands and,
 * where there is one, the next step. Messages never contain a token secret or a key.
 */
export class KubejoinError extends Error {
  readonly category: ErrorCategory;
  readonly hint: string | undefined;

  constructor(category: ErrorCategory, message: string, options: { hint?: string; cause?: unknown } = {}) {
    // Whatever a message quotes (a mistyped value, a server's answer), a token-shaped secret
    // never gets into it.
    super(maskTokenShapes(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubejoinError';
    this.category = category;
    this.hint = options.hint === undefined ? undefined : maskTokenShapes(options.hint);
  }

  get exitCode(): number {
    return EXIT_CODES[this.category];
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { category: this.category, exitCode: EXIT_CODES[this.category], message: this.message };
    if (this.hint !== undefined) info.hint = this.hint;
    return info;
  }
}

/** An operator mistake in flags, files or values: exit 2, printed without a stack. */
export class UsageError extends KubejoinError {
  constructor(message: string, hint?: string) {
    super('invalid-input', message, hint === undefined ? {} : { hint });
    this.name = 'UsageError';
  }
}

/** Any thrown value as boundary-safe ErrorInfo; unknown errors become `internal`. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof KubejoinError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { category: 'internal', exitCode: EXIT_CODES.internal, message: maskTokenShapes(`internal error: ${message}`) };
}

/**
 * node:util parseArgs's errors in our words, as UsageErrors (the CLI and the parser of
 * pasted command lines share it). Echoed values are masked later, where errors are printed.
 */
export function usageErrorFromParseArgs(err: unknown, known: readonly string[] = []): UsageError {
  const unknown = /^Unknown option '--?([^'=]*)/.exec((err as Error).message)?.[1];
  const near = unknown === undefined ? undefined : nearest(unknown, known);
  const message = (err as Error).message
    .replace(/\. To specify a positional argument starting with a '-'.*$/s, '')
    .replace(/\. This command does not take positional arguments$/, '')
    .replace(/^Unknown option '(.*)'$/s, 'unknown flag $1')
    .replace(/^Unexpected argument/, 'unexpected argument')
    .replace(/^Option '([^']*)'/, "flag '$1'");
  return new UsageError(message, near === undefined ? undefined : `Did you mean --${near}?`);
}

/** The known name closest to `name` (edit distance at most a third of its length, or a prefix). */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(name) || name.startsWith(k) ? Math.abs(k.length - name.length) / 4 : distance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
