import { AdminClient } from '../../admin/client.js';
import { signOnce, watchAndSign, type SignResult } from '../../admin/signer.js';
import { EXIT_CODES } from '../../contract/index.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

function report(r: SignResult, dryRun: boolean, ctx: CliContext): void {
  const stamp = new Date().toISOString();
  if (!r.hasKubeconfig) {
    ctx.stderr.write(`${stamp} cluster-info has no kubeconfig key: nothing to sign (run "kubejoin cluster prepare")\n`);
    return;
  }
  const would = dryRun ? 'would ' : '';
  for (const id of r.added) ctx.stdout.write(`${stamp} ${would}sign cluster-info for token ${id}\n`);
  for (const id of r.updated) ctx.stdout.write(`${stamp} ${would}re-sign cluster-info for token ${id}\n`);
  for (const id of r.removed) ctx.stdout.write(`${stamp} ${would}remove the signature of token ${id} (gone, expired or not for signing)\n`);
  if (!r.changed) ctx.stdout.write(`${stamp} cluster-info signatures are up to date (${r.unchanged.length} token(s))\n`);
}

export default defineCommand({
  description: `Do the BootstrapSigner controller's job, for clusters whose controller-manager does not run
it: add jws-kubeconfig-<id> to kube-public/cluster-info for every token that is valid for
signing (usage-bootstrap-signing "true", not expired, well-formed), and remove the keys of
tokens that are gone. cluster-info is written only if something changed.`,
  flags: {
    watch: { type: 'boolean', help: 'Keep doing it as tokens come, go and expire, until interrupted' },
    'dry-run': { type: 'boolean', help: 'Only print what would change' },
    ...KUBECONFIG_FLAGS,
  },
  async run({ flags: values }, ctx) {
    const dryRun = values['dry-run'] === true;
    const client = await AdminClient.connect(kubeconfigOf(values), ctx.env);
    if (!values.watch || dryRun) {
      const result = await signOnce(client, Date.now, dryRun);
      report(result, dryRun, ctx);
      return result.hasKubeconfig ? 0 : EXIT_CODES['invalid-input'];
    }
    let last: boolean | undefined;
    await watchAndSign(client, {
      signal: ctx.signal,
      now: Date.now,
      onPass: (r) => {
        // Report changes; say "up to date" (or "no kubeconfig") once, not on every pass.
        if (r.changed || r.hasKubeconfig !== last) report(r, false, ctx);
        last = r.hasKubeconfig;
      },
      onError: (err) => ctx.stderr.write(`${new Date().toISOString()} error: ${err.message} (retrying)\n`),
    });
    return 0;
  },
});
