import { realpathSync } from 'node:fs';
import { EXIT_CODES, secretsOf, type JoinRequest, type JoinResult } from '../../contract/index.js';
import { UsageError } from '../../errors.js';
import { closeSharedAgents } from '../../transport/http.js';
import { defaultCertDir, defaultKubeconfigPath } from '../../store/paths.js';
import { join } from '../../join/engine.js';
import { readBoundedFile } from '../../transport/bounded-file.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { defineCommand, outputOf } from '../command.js';
import { kubeadmJoinArgs } from '../command-line.js';
import type { CliContext } from '../context.js';
import { JOIN_FLAGS, joinInputOf, joinRequestOf, type JoinFlagValues } from '../join-flags.js';
import { maskedStream } from '../masked-output.js';
import { JsonRenderer } from '../render/json.js';
import { TextRenderer } from '../render/text.js';
import { readProblem, resolveToken, TOKEN_ENVIRONMENT } from '../token-source.js';

/** Reads and parses --config (capped, as every file the join reads). */
export async function loadJoinConfiguration(file: string): Promise<{ request: JoinRequest; warnings: string[] }> {
  let text: string;
  try {
    text = await readBoundedFile(file, `--config ${file}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read --config ${file}: ${readProblem(err)}`);
  }
  // A JoinConfiguration needs a full YAML parser: loaded only with --config (docs/performance.md).
  const { parseJoinConfiguration } = await import('../../input/join-configuration.js');
  return parseJoinConfiguration(text, file);
}

/** Flags, config file, token file and KUBEJOIN_TOKEN merged into one request (flags win). */
export async function resolveJoinRequest(
  values: JoinFlagValues,
  endpoint: string | undefined,
  ctx: Pick<CliContext, 'env' | 'stdin'>,
): Promise<{ request: JoinRequest; output: 'text' | 'json'; warnings: string[] }> {
  const output = outputOf(values.output);
  const flags = joinInputOf(values, endpoint);
  // The flags are checked before any file is read.
  joinRequestOf(flags);
  const config = values.config === undefined ? undefined : await loadJoinConfiguration(values.config);
  const { token, warnings } = await resolveToken(
    { token: values.token, 'token-file': values['token-file'], otherSecretFlag: values['tls-bootstrap-token'], fallback: config?.request.token },
    ctx,
  );
  const request = joinRequestOf(config?.request ?? {}, { ...flags, token });
  if (request.token === undefined && request.tlsBootstrapToken === undefined && request.discoveryFile === undefined) {
    throw new UsageError('a bootstrap token is required', 'Give it with --token-file <file> ("-" for stdin), the KUBEJOIN_TOKEN variable, or --token.');
  }
  return { request, output, warnings: [...(config?.warnings ?? []), ...warnings] };
}

/**
 * Not root, with the default paths: the credential goes to this user's state directory, where
 * no kubelet reads it. Right for a user's kubectl credential; for the machine's kubelet, sudo.
 */
export function notRootWarning(request: JoinRequest, env: NodeJS.ProcessEnv): string | undefined {
  if (process.getuid?.() !== 0 && request.certDir === undefined && request.kubeconfigOut === undefined && process.platform === 'linux') {
    return (
      `warning: not running as root, so the kubeconfig goes to ${defaultKubeconfigPath(env)} (a file-store credential to ${defaultCertDir(env)}), ` +
      "where no kubelet reads it. To join this machine's kubelet, run the same line with sudo: sudo kubejoin join …"
    );
  }
  return undefined;
}

/** The exec-plugin command for keychain kubeconfigs: this very CLI. */
export function credentialCommand(): { command: string; args: string[] } {
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
  // A kubeadm join line works as it is (./command-line.ts): kubeadm-only flags get a notice.
  rewrite: (argv) => kubeadmJoinArgs(argv),
  positionals: { usage: '<host:port>', what: 'API server endpoint' },
  environment: [TOKEN_ENVIRONMENT, ['NO_COLOR', 'no colours in the live step list']],
  examples: [
    'kubejoin join 10.0.0.1:6443 --token-file /run/secrets/join-token \\',
    '    --discovery-token-ca-cert-hash sha256:0123…',
    'echo "$TOKEN" | kubejoin join 10.0.0.1:6443 --token-file - --discovery-token-ca-cert-hash sha256:0123… -o json',
  ],
  exitCodes: COMMAND_EXIT_CODES.join,
  async run({ flags, positionals }, context) {
    const { request, output, warnings } = await resolveJoinRequest(flags, positionals[0], context);
    for (const w of [...warnings, notRootWarning(request, context.env)].filter(Boolean)) context.stderr.write(`${w}\n`);
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
