import { createInterface } from 'node:readline/promises';
import { EXIT_CODES } from '../../contract/index.js';
import { UsageError } from '../../errors.js';
import { planReset } from '../../lifecycle/reset.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { defineCommand } from '../command.js';
import type { CliContext } from '../context.js';
import { STORE_FLAGS, storeLocationOf, storeMismatch } from '../lifecycle-flags.js';
import { locateCredential } from '../../store/installed.js';

async function confirm(ctx: CliContext): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: false });
  try {
    const answer = await rl.question('Remove them? [y/N] ', { signal: ctx.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

export default defineCommand({
  description: `Undo the join on this machine: remove the stored credential (certificate and key), the
kubeconfig, and every pending key of an unfinished join or rotation, keychain entries
included. It shows what it will remove and asks first (--force skips the question;
without a terminal, --force is required). Running it again finds nothing and says so.
It does not touch the cluster; it prints what an administrator may want to do there.`,
  flags: {
    force: { type: 'boolean', help: 'do not ask' },
    ...STORE_FLAGS,
  },
  exitCodes: COMMAND_EXIT_CODES.reset,
  examples: ['kubejoin reset', 'kubejoin reset --force --kubeconfig-out /etc/kubernetes/kubelet.conf'],
  async run({ flags }, ctx) {
    const location = storeLocationOf(flags);
    const { store: _store, ...where } = location;
    const installed = await locateCredential({ env: ctx.env, ...(where.kubeconfig ? { kubeconfig: where.kubeconfig } : {}) }).catch(() => undefined);
    const mismatch = installed && storeMismatch(location, installed);
    if (mismatch) ctx.stderr.write(`${mismatch}\n`);
    const plan = await planReset({ env: ctx.env, ...where });
    if (plan.items.length === 0) {
      ctx.stdout.write('Nothing to remove: no kubejoin credential, kubeconfig or pending key was found on this machine.\n');
      return 0;
    }
    ctx.stdout.write(`kubejoin reset ${flags.force ? 'removes' : 'will remove'}${plan.nodeName ? ` the credential of node ${plan.nodeName}` : ''}:\n`);
    for (const item of plan.items) ctx.stdout.write(`  ${item.what}: ${item.where}\n`);
    if (!flags.force) {
      if (!ctx.stdin.isTTY)
        throw new UsageError('reset asks before removing anything, and there is no terminal to ask on', 'Pass --force to remove without asking.');
      if (!(await confirm(ctx))) {
        ctx.stdout.write('Nothing removed.\n');
        return EXIT_CODES.internal;
      }
    }
    const removed = await plan.apply();
    ctx.stdout.write(`Removed ${removed.length} item(s).${plan.nodeName ? ' This machine is no longer joined.' : ''}\n\n${plan.adminAdvice.join('\n')}\n`);
    return 0;
  },
});
