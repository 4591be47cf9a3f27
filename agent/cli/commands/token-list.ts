import { HELP_OPTION, KUBECONFIG_HELP, KUBECONFIG_OPTIONS, noPositionals, parseFlags } from '../admin-flags.js';
import { AdminClient } from '../../admin/client.js';
import { formatTokens, type ListFormat } from '../../admin/token-format.js';
import { listTokens } from '../../admin/tokens.js';
import { UsageError } from '../../errors.js';
import type { CliContext, Command } from '../context.js';

const help = `Usage: kubejoin token list [flags]

List the bootstrap tokens on the server, with kubeadm's columns:
TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS. Token secrets are masked unless
--show-secrets. Malformed token Secrets are reported on stderr and skipped.

Flags:
  -o, --output table|json|yaml  Output format (default table); json and yaml print a List of
                                kubeadm's output.kubeadm.k8s.io/v1alpha3 BootstrapToken objects
  --show-secrets                Print whole tokens instead of <id>.****************
${KUBECONFIG_HELP}
`;

const FORMATS: Record<string, ListFormat> = { table: 'table', text: 'table', json: 'json', yaml: 'yaml' };

const list: Command = {
  name: 'token list',
  summary: 'List bootstrap tokens',
  help,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: { ...HELP_OPTION, ...KUBECONFIG_OPTIONS, output: { type: 'string', short: 'o' }, 'show-secrets': { type: 'boolean' } },
    });
    if (values.help) {
      ctx.stdout.write(help);
      return 0;
    }
    noPositionals(positionals, 'kubejoin token list [flags]');
    const format = FORMATS[values.output ?? 'table'];
    if (format === undefined) throw new UsageError(`invalid --output ${JSON.stringify(values.output)}`, 'Use -o table, -o json or -o yaml.');
    const client = await AdminClient.connect({ kubeconfig: values.kubeconfig, context: values.context }, ctx.env);
    const { tokens, problems } = await listTokens(client);
    for (const p of problems) ctx.stderr.write(`warning: skipped a malformed token: ${p}\n`);
    ctx.stdout.write(formatTokens(format, tokens, Date.now(), values['show-secrets'] === true));
    if (format === 'table' && tokens.length === 0) ctx.stderr.write('No bootstrap tokens found.\n');
    return 0;
  },
};

export default list;
