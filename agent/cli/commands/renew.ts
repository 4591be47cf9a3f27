import { printable } from '../../contract/index.js';
import { currentCredential, rotate } from '../../lifecycle/rotate.js';
import { certificateDeadline, humanDuration } from '../../lifecycle/deadline.js';
import { locateCredential } from '../../store/installed.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { defineCommand } from '../command.js';
import { EXPIRATION_FLAG, expirationSecondsOf, PROXY_FLAG, proxyOf, STORE_FLAGS, storeLocationOf, storeMismatch } from '../lifecycle-flags.js';

export default defineCommand({
  description: `Rotate the client certificate now if it is due (its rotation date, the one "kubejoin
status" shows: 70-90 % of its lifetime, fixed per certificate), or at once with --force. The kubelet's way: a new key, a certificate request sent with the
current certificate (requester system:node:<name>, approved by the cluster's
selfnodeclient rule), and the new certificate replaces the old one only once the cluster
accepts it. Until then the old one stays and keeps working. An interrupted renew is
resumed by the next one (the same key and request are reused).`,
  flags: {
    force: { type: 'boolean', help: 'rotate even if not due yet' },
    ...EXPIRATION_FLAG,
    timeout: { type: 'string', value: '<duration>', duration: {}, help: 'how long to wait for approval and issue (default 15m)' },
    ...STORE_FLAGS,
    ...PROXY_FLAG,
  },
  exitCodes: COMMAND_EXIT_CODES.renew,
  examples: ['kubejoin renew', 'kubejoin renew --force --expiration-seconds 86400'],
  async run({ flags }, ctx) {
    const expirationSeconds = expirationSecondsOf(flags['expiration-seconds']);
    const timeoutMs = flags.timeout;
    const proxy = proxyOf(flags.proxy, ctx.env);
    const where = storeLocationOf(flags);
    const installed = await locateCredential({ env: ctx.env, ...(where.kubeconfig ? { kubeconfig: where.kubeconfig } : {}) });
    const mismatch = installed && storeMismatch(where, installed);
    if (mismatch) ctx.stderr.write(`${mismatch}\n`);
    const { facts } = await currentCredential(installed, Date.now());
    // The one rotation date (agent/lifecycle/deadline.ts): the one status shows and the agent keeps.
    const due = certificateDeadline(facts);
    const unfinished = (await installed!.loadRotationKey()) !== undefined || (await installed!.loadUncommitted()) !== undefined;
    if (!flags.force && !unfinished && Date.now() < due) {
      ctx.stdout.write(
        `Not due: certificate serial ${facts.serialNumber} is valid until ${facts.notAfter}; rotation is due ${new Date(due).toISOString()} (in ${humanDuration(due - Date.now())}), as "kubejoin status" shows.\nNothing changed. Use --force to rotate now.\n`,
      );
      return 0;
    }
    ctx.stdout.write(`Renewing the certificate of ${facts.nodeName}${unfinished ? ' (finishing an interrupted renewal)' : ''}\n`);
    const result = await rotate(installed, {
      signal: ctx.signal,
      proxy,
      onProgress: (m) => ctx.stdout.write(`  ${printable(m)}\n`),
      ...(expirationSeconds !== undefined ? { expirationSeconds } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    ctx.stdout.write(
      `Renewed: serial ${result.previous.serialNumber} -> ${result.current.serialNumber}, valid until ${result.current.notAfter}; the cluster sees ${result.identity.username}.\n`,
    );
    return 0;
  },
});
