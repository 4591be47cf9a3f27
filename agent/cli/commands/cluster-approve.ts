import { AdminClient } from '../../admin/client.js';
import { approveOnce, decisionLine, watchAndApprove, type Outcome } from '../../admin/approver.js';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

function logOutcome(o: Outcome, ctx: CliContext): void {
  const verdict = o.kind === 'spent' ? 'spent' : o.verdict;
  ctx.stdout.write(decisionLine({ verdict, csr: o.csr, tokenId: o.tokenId, message: o.message, ...(o.node ? { node: o.node } : {}) }, Date.now()));
}

const errorLine = (message: string): string => `${JSON.stringify({ time: new Date().toISOString(), error: message, retrying: true })}\n`;

export default defineCommand({
  description: `Approve the kubelet client certificate requests made with bound tokens
("kubejoin token create --node-name"), and deny the others made with them, each with its reason:
a request is approved only when the token's Secret exists, has not expired, is bound to exactly
the node the request names (CN=system:node:<name>, O=system:nodes), the request has a kubelet
client's shape (usages, key type, no SANs), and no other approved request already used a
single-use token. A single-use token is deleted once its certificate is issued. Requests of
other tokens, of nodes renewing and of other signers are never touched.
Each decision is one JSON line on stdout. Run "kubejoin cluster prepare --bound-tokens" first.`,
  flags: {
    watch: { type: 'boolean', help: 'Keep approving as requests come, until interrupted (for a systemd unit)' },
    once: { type: 'boolean', help: 'Decide every pending request now, then exit (for cron or CI)' },
    ...KUBECONFIG_FLAGS,
  },
  examples: ['kubejoin cluster approve --once', 'kubejoin cluster approve --watch --kubeconfig /etc/kubejoin/approver.conf'],
  async run({ flags }, ctx) {
    if (flags.watch === flags.once)
      throw new UsageError('give exactly one of --watch and --once', 'Use --watch for a long-running approver, --once for one pass.');
    const client = await AdminClient.connect(kubeconfigOf(flags), ctx.env);
    if (flags.watch) {
      // One line when it is up (its signal handlers too): a service manager, or a test, sees it run.
      ctx.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), message: `approving the requests of bound tokens on ${client.target.cluster.server} (pid ${process.pid})` })}\n`,
      );
      await watchAndApprove(client, {
        signal: ctx.signal,
        now: Date.now,
        onOutcome: (o) => logOutcome(o, ctx),
        onError: (err) => ctx.stderr.write(errorLine(err.message)),
      });
      return 0;
    }
    const waiting = await approveOnce(client, Date.now, (o) => logOutcome(o, ctx), ctx.signal);
    if (waiting > 0) ctx.stderr.write(`${waiting} single-use token(s) wait for their certificate to be issued; the next run deletes them\n`);
    return 0;
  },
});
