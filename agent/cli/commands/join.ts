import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { EXIT_CODES, type JoinRequest, type JoinResult } from '../../contract/index.js';
import { UsageError } from '../../errors.js';
import { closeSharedAgents } from '../../transport/http.js';
import { join } from '../../join/engine.js';
import { loadJoinConfiguration } from '../../join/config-file.js';
import { parseJoinArgs } from '../../join/flags.js';
import type { CliContext, Command } from '../context.js';
import { exitCodeTable } from '../exit-codes.js';
import { JsonRenderer } from '../render/json.js';
import { TextRenderer } from '../render/text.js';

const help = `Usage: kubejoin join <host:port> [flags]

Join this machine to a Kubernetes cluster with a bootstrap token, as "kubeadm join" does
for the kubelet credential: discover and verify the cluster, request a client certificate
for system:node:<name>, wait until it is issued, store it and prove it works.

Discovery (kubeadm's flags):
      --token <id.secret>                 bootstrap token for discovery and TLS bootstrap
                                          (visible in the process list: prefer --token-file or KUBEJOIN_TOKEN)
      --token-file <path|->               read the token from a file, or from stdin with "-"
      --discovery-token-ca-cert-hash sha256:<hex>
                                          pin of the cluster CA public key (repeatable)
      --discovery-token-unsafe-skip-ca-verification
                                          join without a CA pin (the token alone vouches for the cluster)
      --discovery-file <path|https-url>   a kubeconfig giving server and CA instead of token discovery
      --tls-bootstrap-token <id.secret>   token for the certificate request (default: --token)
      --config <file>                     kubeadm JoinConfiguration (v1beta3 or v1beta4); flags override it
      --discovery-timeout <duration>      how long discovery keeps retrying (default 5m)

Node and credential:
      --node-name <name>                  node name (default: the host name, lower-cased)
      --store auto|keychain|file          where the credential goes (default auto: keychain if reachable)
      --cert-dir <dir>                    file store: directory of kubelet-client-current.pem
                                          (default /var/lib/kubelet/pki as root, else $XDG_STATE_HOME/kubejoin/pki)
      --kubeconfig-out <file>             kubeconfig for the new credential
                                          (default /etc/kubernetes/kubelet.conf as root, else $XDG_STATE_HOME/kubejoin/kubelet.conf)
      --timeout <duration>                the whole join (default 10m)
  -o, --output text|json                  json: one event per line (NDJSON), the last is the result

Environment:
  KUBEJOIN_TOKEN                          the bootstrap token, when no flag or file gives one
  NO_COLOR                                no colours in the live step list

Examples:
  kubejoin join 10.0.0.1:6443 --token-file /run/secrets/join-token \\
      --discovery-token-ca-cert-hash sha256:0123…
  echo "$TOKEN" | kubejoin join 10.0.0.1:6443 --token-file - --discovery-token-ca-cert-hash sha256:0123… -o json

${exitCodeTable()}`;

async function readTokenFile(path: string, ctx: CliContext): Promise<string> {
  let text: string;
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (err) {
    throw new UsageError(`cannot read --token-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token === '') throw new UsageError(`--token-file ${path === '-' ? '(stdin)' : path} is empty`);
  return token;
}

/** Flags, config file, token file and KUBEJOIN_TOKEN merged into one request (flags win). */
export async function resolveJoinRequest(argv: string[], ctx: CliContext): Promise<{ request: JoinRequest; output: 'text' | 'json'; warnings: string[]; help: boolean }> {
  const flags = parseJoinArgs(argv);
  const warnings: string[] = [];
  if (flags.help) return { request: {}, output: flags.output, warnings, help: true };
  const base = flags.configFile ? await loadJoinConfiguration(flags.configFile) : {};
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
  return { request, output: flags.output, warnings, help: false };
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

const command: Command = {
  name: 'join',
  summary: 'Join this machine to a cluster with a bootstrap token',
  help,
  async run(argv, ctx) {
    const { request, output, warnings, help: wantHelp } = await resolveJoinRequest(argv, ctx);
    if (wantHelp) {
      ctx.stdout.write(help);
      return 0;
    }
    for (const w of warnings) ctx.stderr.write(`${w}\n`);
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
};

export default command;
