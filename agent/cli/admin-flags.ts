import { parseArgs, type ParseArgsConfig } from 'node:util';
import { maskTokenShapes } from '../contract/index.js';
import { UsageError } from '../errors.js';

// Flag parsing shared by the admin commands: node:util parseArgs, its errors as UsageErrors
// (exit 2), and the kubeconfig flags every command that talks to the API server takes.

export const KUBECONFIG_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
} as const;

export const KUBECONFIG_HELP = `  --kubeconfig FILE  Admin kubeconfig (default: $KUBECONFIG, else ~/.kube/config, as kubectl)
  --context NAME     Context to use (default: its current-context)`;

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** A value safe to echo: anything shaped like a token has its secret part masked. */
export function redact(text: string): string {
  return maskTokenShapes(text, '****************');
}

export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
    throw new UsageError(redact(message.replace(/^Unknown option/, 'unknown flag').replace(/^Option/, 'flag')));
  }
}

export function noPositionals(positionals: readonly string[], usage: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(redact(positionals[0]!))}`, `Usage: ${usage}`);
}
