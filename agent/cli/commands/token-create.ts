import { HELP_OPTION, KUBECONFIG_HELP, KUBECONFIG_OPTIONS, parseFlags, redact } from '../admin-flags.js';
import { AdminClient } from '../../admin/client.js';
import { endpointOf, joinCommand, pinsOf, type JoinFormat } from '../../admin/join-command.js';
import { loadAdminKubeconfig } from '../../admin/admin-kubeconfig.js';
import { DEFAULT_GROUPS, DEFAULT_TTL, DEFAULT_USAGES, KNOWN_USAGES, tokenSpecFromFlags } from '../../admin/token-secret.js';
import { createToken } from '../../admin/tokens.js';
import { UsageError } from '../../errors.js';
import { formatToken, generateToken, parseToken } from '../../protocol/token.js';
import type { CliContext, Command } from '../context.js';

const help = `Usage: kubejoin token create [token] [flags]

Create a bootstrap token on the server (kubeadm's semantics and defaults) and print it.
Without [token], a random one is generated. A token whose id already exists is an error:
nothing is overwritten. Every value is checked before the server is contacted.

Flags:
  --ttl DURATION          Time until the token expires, as a Go duration: 24h, 1h30m, 90s;
                          0 = never (default ${DEFAULT_TTL})
  --usages LIST           Comma-separated or repeated: ${KNOWN_USAGES.join(', ')}
                          (default ${DEFAULT_USAGES.join(',')})
  --groups LIST           Extra groups the token authenticates as; each must match
                          system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]
                          (default ${DEFAULT_GROUPS.join(',')}; none without authentication)
  --description TEXT      A human-friendly description
  --print-join-command    Print the whole join command instead of only the token, with one
                          --discovery-token-ca-cert-hash per CA in the kubeconfig's bundle
  --format kubejoin|kubeadm  The join command to print (default kubejoin)
${KUBECONFIG_HELP}

Examples:
  kubejoin token create
  kubejoin token create --ttl 2h --description "rack 4" --print-join-command
  kubejoin token create abcdef.0123456789abcdef --usages authentication --ttl 0
`;

const create: Command = {
  name: 'token create',
  summary: 'Create a bootstrap token',
  help,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: {
        ...HELP_OPTION,
        ...KUBECONFIG_OPTIONS,
        ttl: { type: 'string' },
        usages: { type: 'string', multiple: true },
        groups: { type: 'string', multiple: true },
        description: { type: 'string' },
        'print-join-command': { type: 'boolean' },
        format: { type: 'string' },
      },
    });
    if (values.help) {
      ctx.stdout.write(help);
      return 0;
    }
    if (positionals.length > 1) {
      throw new UsageError(`token create takes at most one token, got ${positionals.length} arguments (${redact(positionals.join(' '))})`);
    }
    // Everything is validated before the server is contacted.
    const token = positionals[0] === undefined ? generateToken() : parseToken(positionals[0]);
    const spec = tokenSpecFromFlags({
      token,
      ttl: values.ttl,
      usages: values.usages,
      groups: values.groups,
      description: values.description,
    });
    const format = values.format ?? 'kubejoin';
    if (format !== 'kubejoin' && format !== 'kubeadm') {
      throw new UsageError(`invalid --format ${JSON.stringify(format)}`, 'Use --format kubejoin or --format kubeadm.');
    }
    if (values.format !== undefined && !values['print-join-command']) {
      throw new UsageError('--format applies only with --print-join-command');
    }
    const target = await loadAdminKubeconfig({ kubeconfig: values.kubeconfig, context: values.context }, ctx.env);
    let join: { endpoint: string; pins: string[] } | undefined;
    if (values['print-join-command']) {
      join = { endpoint: endpointOf(target.cluster.server), pins: pinsOf(target.cluster.caBytes, `the kubeconfig's cluster ${JSON.stringify(target.cluster.name)}`) };
    }
    const client = await AdminClient.forTarget(target);
    await createToken(client, spec, Date.now());
    const text = formatToken(token);
    ctx.stdout.write(join === undefined ? `${text}\n` : `${joinCommand(format as JoinFormat, join.endpoint, text, join.pins)}\n`);
    return 0;
  },
};

export default create;
