import { realpathSync } from 'node:fs';
import { EXIT_CODES, secretsOf, type JoinRequest, type JoinResult } from '../../contract/index.js';
import { UsageError } from '../../errors.js';
import { closeSharedAgents } from '../../transport/http.js';
import { join } from '../../join/engine.js';
import { readBoundedFile, readBoundedStream } from '../../transport/bounded-file.js';
import { JOIN_FLAGS, joinFlagsFrom, type JoinFlagValues } from '../../join/flags.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { maskedStream } from '../masked-output.js';
import { JsonRenderer } from '../render/json.js';
import { TextRenderer } from '../render/text.js';

export async function readTokenFile(path: string, ctx: CliContext): Promise<string> {
  let text: string;
  try {
    // Capped (64 KiB): a token is 23 bytes; a wrong path must not fill memory.
    text =
      path === '-'
        ? await readBoundedStream(ctx.stdin as AsyncIterable<Buffer>, '--token-file - (stdin)')
        : await readBoundedFile(path, `--token-file ${path}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --token-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token === '') throw new UsageError(`--token-file ${path === '-' ? '(stdin)' : path} is empty`);
  return token;
}

/** Flags, config file, token file and KUBEJOIN_TOKEN merged into one request (flags win). */
export async function resolveJoinRequest(
  values: JoinFlagValues,
  endpoint: string | undefined,
  ctx: CliContext,
): Promise<{ request: JoinRequest; output: 'text' | 'json'; warnings: string[] }> {
  const flags = joinFlagsFrom(values, endpoint);
  const warnings: string[] = [];
  // A JoinConfiguration needs a full YAML parser: loaded only with --config (docs/performance.md).
  const base = flags.configFile ? await (await import('../../join/config-file.js')).loadJoinConfiguration(flags.configFile) : {};
  const request: JoinRequest = { ...base, ...flags.request };
  if (flags.tokenFile !== undefined) {
    if (flags.request.token !== undefined) throw new UsageError('give the token once: --token or --token-file, not both');
    request.token = await readTokenFile(flags.tokenFile, ctx);
  } else if (request.token === undefined && ctx.env.KUBEJOIN_TOKEN) {
    request.token = ctx.env.KUBEJOIN_TOKEN.trim();
  }
  if (flags.tokenOnCommandLine) {
    warnings.push('warning: a token given with --token is visible to other users in the process list; prefer --token-file or KUBEJOIN_TOKEN');
  }
  return { request, output: flags.output, warnings };
}

/** The exec-plugin command for keychain kubeconfigs: this very CLI. */
function credentialCommand(): { command: string; args: string[] } {
  const script = process.argv[1];
  if (!script || !/\.(m?js|ts)$/.test(script)) return { command: 'kubejoin', args: [] };
  // Keep module loaders (tsx in development) so the plugin starts the same way we did.
  const loaders: string[] = [];
  process.execArgv.forEach((arg, i) => {
    if ((arg === '--import' || arg === '--loader' || arg === '--require') && process.execArgv[i + 1]) loaders.push(arg, process.execArgv[i + 1]!);
  });
  return { command: process.execPath, args: [...loaders, realpathSync(script)] };
}

export default defineCommand({
  description: `Join this machine to a Kubernetes cluster with a bootstrap token, as "kubeadm join" does
for the kubelet credential: discover and verify the cluster, request a client certificate
for system:node:<name>, wait until it is issued, store it and prove it works.`,
  flags: JOIN_FLAGS,
  positionals: { usage: '<host:port>', what: 'API server endpoint' },
  environment: [
    ['KUBEJOIN_TOKEN', 'the bootstrap token, when no flag or file gives one'],
    ['NO_COLOR', 'no colours in the live step list'],
  ],
  examples: [
    'kubejoin join 10.0.0.1:6443 --token-file /run/secrets/join-token \\',
    '    --discovery-token-ca-cert-hash sha256:0123…',
    'echo "$TOKEN" | kubejoin join 10.0.0.1:6443 --token-file - --discovery-token-ca-cert-hash sha256:0123… -o json',
  ],
  exitCodes: true,
  async run({ flags, positionals }, context) {
    const { request, output, warnings } = await resolveJoinRequest(flags, positionals[0], context);
    for (const w of warnings) context.stderr.write(`${w}\n`);
    // A join never prints a secret on purpose: all its output goes through the mask, with
    // the token itself however it was given (flag, file, environment, config).
    const secrets = secretsOf(request.token, request.tlsBootstrapToken);
    const ctx = { ...context, stdout: maskedStream(context.stdout, secrets), stderr: maskedStream(context.stderr, secrets) };
    const renderer = output === 'json' ? new JsonRenderer(ctx) : new TextRenderer(ctx);
    // Device facts are for machines reading JSON; the text summary does without them.
    const events = join(request, { signal: ctx.signal, env: ctx.env, credentialCommand: credentialCommand(), deviceFacts: output === 'json' });
    let result: JoinResult | undefined;
    for await (const event of events) {
      renderer.event(event);
      if (event.type === 'result') result = event.result;
    }
    closeSharedAgents();
    return result?.ok ? EXIT_CODES.ok : (result?.error.exitCode ?? EXIT_CODES.internal);
  },
});
