import { HELP_OPTION, KUBECONFIG_HELP, KUBECONFIG_OPTIONS, parseFlags } from '../admin-flags.js';
import { AdminClient } from '../../admin/client.js';
import { tokenIdOf } from '../../admin/token-secret.js';
import { deleteTokens } from '../../admin/tokens.js';
import { EXIT_CODES } from '../../contract/index.js';
import { UsageError } from '../../errors.js';
import type { CliContext, Command } from '../context.js';

const help = `Usage: kubejoin token delete <id|token>... [flags]

Delete bootstrap tokens, each given as its id ([a-z0-9]{6}) or whole token. Nodes can no
longer join or authenticate with them (the API server may accept a token it already
checked for about 10 more seconds). A token that is not there is reported (exit 2) after
the others are deleted.

Flags:
${KUBECONFIG_HELP}

Example:
  kubejoin token delete abcdef
`;

const del: Command = {
  name: 'token delete',
  summary: 'Delete bootstrap tokens',
  help,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({ args: argv, allowPositionals: true, options: { ...HELP_OPTION, ...KUBECONFIG_OPTIONS } });
    if (values.help) {
      ctx.stdout.write(help);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('token delete needs at least one token id or token', 'Usage: kubejoin token delete <id|token>...');
    const ids = [...new Set(positionals.map(tokenIdOf))];
    const client = await AdminClient.connect({ kubeconfig: values.kubeconfig, context: values.context }, ctx.env);
    let missing = 0;
    for (const r of await deleteTokens(client, ids)) {
      if (r.outcome === 'deleted') ctx.stdout.write(`bootstrap token "${r.id}" deleted\n`);
      else {
        missing++;
        ctx.stderr.write(`error: bootstrap token "${r.id}" not found\n`);
      }
    }
    return missing > 0 ? EXIT_CODES['invalid-input'] : 0;
  },
};

export default del;
