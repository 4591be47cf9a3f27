import { EXIT_CODES, maskTokenShapes, printable, type ErrorInfo } from '../contract/index.js';
import { KubejoinError, nearest, toErrorInfo, UsageError } from '../errors.js';
import { stripLauncher } from './launcher.js';
import type { Subcommand } from './command.js';
import type { CliContext } from './context.js';
import { exitCodeTable } from './exit-codes.js';
import { maskedStream, secretArguments } from './masked-output.js';
import { VERSION } from './version.js';
import { KEYCHAIN_HELPER_ARG, isSingleExecutable, loadKeytar } from '../store/keytar-loader.js';

// Each command is its own module, loaded only when it runs: `kubejoin --version` and
// `kubejoin join` never pay for the admin client. Names and summaries live here, once.
export const COMMANDS: Readonly<Record<string, Subcommand>> = {
  join: { summary: 'Join this machine to a cluster with a bootstrap token', load: () => import('./commands/join.js') },
  credential: { summary: 'Print the stored credential as an ExecCredential (kubectl exec plugin)', load: () => import('./commands/credential.js') },
  token: { summary: 'Create, list, delete and prune bootstrap tokens', load: () => import('./commands/token.js') },
  cluster: { summary: 'Prepare a cluster for token joins and sign cluster-info', load: () => import('./commands/cluster.js') },
  status: { summary: 'Show whether this machine is joined, as whom and until when', load: () => import('./commands/status.js') },
  renew: { summary: 'Rotate the client certificate now if due (or --force)', load: () => import('./commands/renew.js') },
  agent: { summary: 'Keep the client certificate fresh: rotate at the deadline (for systemd)', load: () => import('./commands/agent.js') },
  reset: { summary: 'Remove the credential, kubeconfig and pending keys of a join', load: () => import('./commands/reset.js') },
  'ca-hash': { summary: 'Print the sha256 pin(s) of a cluster CA', load: () => import('./commands/ca-hash.js') },
  doctor: { summary: 'Check why this device can or cannot join, and name the most likely cause', load: () => import('./commands/doctor.js') },
};

function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`);
  return `kubejoin ${VERSION}: join machines to Kubernetes clusters with bootstrap tokens

Usage: kubejoin <command> [flags]

Commands:
${lines.join('\n')}

Run "kubejoin <command> --help" (or "kubejoin help <command>") for a command's flags.

${exitCodeTable()}`;
}

export async function runCli(given: string[], context: CliContext): Promise<number> {
  const ctx: CliContext = { ...context, stderr: maskedStream(context.stderr, secretArguments(given)) };
  // A pasted line: `kubejoin sudo kubeadm join …` runs as `kubejoin join …` (./command-line.ts).
  const argv = stripLauncher(given);
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined && COMMANDS[rest[0]]) return runCli([rest[0], '--help', ...rest.slice(1)], context);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    ctx.stdout.write(`kubejoin ${VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  try {
    if (!entry) {
      const near = nearest(name, Object.keys(COMMANDS));
      const hint = `${near ? `Did you mean "kubejoin ${near}"? ` : ''}Run "kubejoin --help" for the commands.`;
      throw new KubejoinError('invalid-input', `unknown command "${name}"`, { hint });
    }
    return await (await entry.load()).default.run(name, rest, ctx);
  } catch (err) {
    const code = reportError(err, ctx);
    // -o json promises that the last line on stdout is the result: errors before the run too.
    if (wantsJson(rest)) maskedStream(ctx.stdout, secretArguments(given)).write(`${errorResultLine(name, toErrorInfo(err))}\n`);
    return code;
  }
}

function wantsJson(argv: string[]): boolean {
  return argv.some((a, i) => /^(-o|--output)=json$/.test(a) || ((a === '-o' || a === '--output') && argv[i + 1] === 'json'));
}

/** join's NDJSON result event; other commands' one object, with the error where the state would be. */
function errorResultLine(name: string, error: ErrorInfo): string {
  const line =
    name === 'join' ? { type: 'result', result: { ok: false, error, durationMs: 0, phaseDurationsMs: {} }, at: 0 } : { exitCode: error.exitCode, error };
  return maskTokenShapes(JSON.stringify(line));
}

/**
 * Operator errors print without a stack; everything else is an internal error (exit 1). A
 * message may quote a server, so control characters in it are made visible (agent/contract/text.ts).
 */
export function reportError(err: unknown, ctx: CliContext): number {
  if (err instanceof KubejoinError) {
    ctx.stderr.write(`error: ${printable(err.message)}\n`);
    if (err.hint) ctx.stderr.write(`  ${printable(err.hint)}\n`);
    if (err instanceof UsageError) ctx.stderr.write('  Run with --help for usage.\n');
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(`error: internal error: ${printable(message)}\n`);
  if (ctx.env.KUBEJOIN_DEBUG && err instanceof Error && err.stack) ctx.stderr.write(`${printable(err.stack, true)}\n`);
  return EXIT_CODES.internal;
}

/**
 * Runs one command in this process with its real streams, as the CLI does: Ctrl-C and SIGTERM
 * cancel it. The CLI's entry, and the desktop app run as the CLI (main/cli-mode.ts).
 */
export async function runCliProcess(
  argv: string[],
  io: Pick<CliContext, 'stdout' | 'stderr' | 'stdin' | 'env'> = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
): Promise<number> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new KubejoinError('internal', 'interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runCli(argv, { ...io, signal: controller.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The process as the CLI. The single executable started again as its own keychain helper
 * (store/keytar-child.ts) answers keytar calls on stdin/stdout instead; only that process loads
 * the helper's loop. The packaged executable's startup snapshot calls this when it starts
 * (build/packages/sea-snapshot.ts).
 */
export function startCli(singleExecutable: boolean): void {
  if (singleExecutable && process.argv[2] === KEYCHAIN_HELPER_ARG) {
    void import('../store/keytar-serve.js').then((m) => m.serveKeytarOnStdio(loadKeytar));
    return;
  }
  // The exec plugin runs on every kubectl call. On Linux it reads the Secret Service itself;
  // elsewhere its keychain helper starts while the command's code loads (docs/stores.md §2).
  if (process.argv[2] === 'credential' && process.platform !== 'linux') {
    void import('../store/keytar-child.js').then((m) => m.prestartKeychainHelper(process.env));
  }
  void runCliProcess(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

// Run only when executed as the CLI (or as the packaged single executable, whatever its
// file name), not when imported by tests, by the desktop app (main/cli-mode.ts runs it there)
// or by the build of the executable's startup snapshot.
const invokedAs = process.argv[1] ?? '';
const singleExecutable = isSingleExecutable();
if (singleExecutable || (!process.versions.electron && /(?:^|[\\/])(?:cli\.mjs|kubejoin|main\.ts)$/.test(invokedAs))) startCli(singleExecutable);
