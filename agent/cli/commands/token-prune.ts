import { HELP_OPTION, KUBECONFIG_HELP, KUBECONFIG_OPTIONS, noPositionals, parseFlags } from '../admin-flags.js';
import { AdminClient } from '../../admin/client.js';
import { pruneTokens } from '../../admin/tokens.js';
import type { CliContext, Command } from '../context.js';

const help = `Usage: kubejoin token prune [--dry-run] [flags]

Delete expired bootstrap tokens by the TokenCleaner controller's rules: a token Secret in
kube-system whose expiration has passed, or cannot be parsed as RFC 3339, is expired; one
without an expiration never is. Each delete carries the Secret's UID as a precondition, so a
token re-created meanwhile under the same name is left alone.

Flags:
  --dry-run          Only print what would be deleted
${KUBECONFIG_HELP}
`;

const prune: Command = {
  name: 'token prune',
  summary: 'Delete expired bootstrap tokens',
  help,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: { ...HELP_OPTION, ...KUBECONFIG_OPTIONS, 'dry-run': { type: 'boolean' } },
    });
    if (values.help) {
      ctx.stdout.write(help);
      return 0;
    }
    noPositionals(positionals, 'kubejoin token prune [--dry-run]');
    const dryRun = values['dry-run'] === true;
    const client = await AdminClient.connect({ kubeconfig: values.kubeconfig, context: values.context }, ctx.env);
    const results = await pruneTokens(client, Date.now(), dryRun);
    const verb = { deleted: 'deleted', 'would-delete': 'would delete', 'already-gone': 'already gone:', changed: 'kept (re-created meanwhile):' } as const;
    for (const r of results) ctx.stdout.write(`${verb[r.outcome]} kube-system/${r.name} (${r.reason})\n`);
    const n = results.filter((r) => r.outcome === 'deleted' || r.outcome === 'would-delete').length;
    if (results.length === 0) ctx.stdout.write('Nothing to prune: no expired bootstrap tokens.\n');
    else ctx.stdout.write(dryRun ? `${n} expired token(s) would be deleted (dry run).\n` : `${n} expired token(s) deleted.\n`);
    return 0;
  },
};

export default prune;
