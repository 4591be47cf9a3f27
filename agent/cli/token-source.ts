import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { readBoundedFile, readBoundedStream } from '../transport/bounded-file.js';
import type { FlagSpecs } from './command.js';
import type { CliContext } from './context.js';

// Where a command's bootstrap token comes from, the same for every command that takes one
// (join, doctor): --token, --token-file <path|->, or KUBEJOIN_TOKEN, with the same messages.

/** The token flags, declared once; a command spreads them into its own (with a section if it has them). */
export const TOKEN_FLAGS = {
  token: {
    type: 'string',
    value: '<id.secret>',
    help: 'bootstrap token\n(visible in the process list: prefer --token-file or KUBEJOIN_TOKEN)',
  },
  'token-file': { type: 'string', value: '<path|->', help: 'read the token from a file, or from stdin with "-"' },
} as const satisfies FlagSpecs;

export const TOKEN_ENVIRONMENT = ['KUBEJOIN_TOKEN', 'the bootstrap token, when no flag or file gives one'] as const;

export const PROCESS_LIST_WARNING = 'warning: a token given with --token is visible to other users in the process list; prefer --token-file or KUBEJOIN_TOKEN';

export interface TokenSource {
  token?: string;
  'token-file'?: string;
  /** Another secret flag of the command (join's --tls-bootstrap-token): it too is on the command line. */
  otherSecretFlag?: string;
  /** A token given elsewhere with lower precedence than the flags (join's --config). */
  fallback?: string;
}

/**
 * The token, by precedence: --token or --token-file (not both), then `fallback`, then
 * KUBEJOIN_TOKEN. Warnings (the process list) are for stderr.
 */
export async function resolveToken(source: TokenSource, ctx: Pick<CliContext, 'env' | 'stdin'>): Promise<{ token?: string; warnings: string[] }> {
  const warnings = source.token !== undefined || source.otherSecretFlag !== undefined ? [PROCESS_LIST_WARNING] : [];
  if (source['token-file'] !== undefined) {
    if (source.token !== undefined) throw new UsageError('give the token once: --token or --token-file, not both');
    const token = await readTokenFile(source['token-file'], ctx);
    const open = source['token-file'] === '-' ? undefined : await tooOpen(source['token-file']);
    return { token, warnings: open ? [...warnings, open] : warnings };
  }
  const token = source.token ?? source.fallback ?? (ctx.env.KUBEJOIN_TOKEN ? ctx.env.KUBEJOIN_TOKEN.trim() : undefined);
  return token === undefined ? { warnings } : { token, warnings };
}

/** Why a file could not be read, in words (the code too, for a search). */
export function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied (run as a user that may read it, e.g. with sudo)',
    EPERM: 'permission denied',
    EISDIR: 'it is a directory, not a file',
    ENOTDIR: 'a part of the path is not a directory',
  };
  return code === undefined ? (err as Error).message : words[code] ? `${words[code]} (${code})` : code;
}

/**
 * A token file other users can read (or its group can change): the kiosk refuses it
 * (main/file-mode.ts, the same rule); the CLI, run by an operator, warns.
 */
async function tooOpen(path: string): Promise<string | undefined> {
  if (process.platform === 'win32') return undefined;
  const mode = (await stat(path).catch(() => undefined))?.mode;
  if (mode === undefined || (mode & 0o027) === 0) return undefined;
  const perm = mode & 0o777;
  const who = perm & 0o004 ? 'other users can read it' : perm & 0o002 ? 'other users can change it' : 'its group can change it';
  return `warning: permissions ${perm.toString(8).padStart(4, '0')} for --token-file ${path} are too open: ${who} (chmod 600 ${path}; the kiosk refuses such a file)`;
}

/** --token-file: a file, or stdin with "-"; capped (64 KiB): a token is 23 bytes, a wrong path must not fill memory. */
export async function readTokenFile(path: string, ctx: Pick<CliContext, 'stdin'>): Promise<string> {
  let text: string;
  try {
    text =
      path === '-'
        ? await readBoundedStream(ctx.stdin as AsyncIterable<Buffer>, '--token-file - (stdin)')
        : await readBoundedFile(path, `--token-file ${path}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --token-file ${path}: ${readProblem(err)}`);
  }
  const token = text.trim();
  if (token === '') throw new UsageError(`--token-file ${path === '-' ? '(stdin)' : path} is empty`);
  return token;
}
