import { AdminClient } from '../../admin/client.js';
import { pruneTokens } from '../../admin/tokens.js';
import { defineCommand } from '../command.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

const VERB = { deleted: 'deleted', 'would-delete': 'would delete', 'already-gone': 'already gone:', changed: 'kept (re-created meanwhile):' } as const;

export default defineCommand({
  description: `Delete expired bootstrap tokens by the TokenCleaner controller's rules: a token Secret in
kube-system whose expiration has passed, or cannot be parsed as RFC 3339, is expired; one
without an expiration never is. Each delete carries the Secret's UID as a precondition, so a
token re-created meanwhile under the same name is left alone.`,
  flags: { 'dry-run': { type: 'boolean', help: 'Only print what would be deleted' }, ...KUBECONFIG_FLAGS },
  async run({ flags }, ctx) {
    const dryRun = flags['dry-run'] === true;
    const client = await AdminClient.connect(kubeconfigOf(flags), ctx.env);
    const results = await pruneTokens(client, Date.now(), dryRun);
    for (const r of results) ctx.stdout.write(`${VERB[r.outcome]} kube-system/${r.name} (${r.reason})\n`);
    const n = results.filter((r) => r.outcome === 'deleted' || r.outcome === 'would-delete').length;
    if (results.length === 0) ctx.stdout.write('Nothing to prune: no expired bootstrap tokens.\n');
    else ctx.stdout.write(dryRun ? `${n} expired token(s) would be deleted (dry run).\n` : `${n} expired token(s) deleted.\n`);
    return 0;
  },
});
