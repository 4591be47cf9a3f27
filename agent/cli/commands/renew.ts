import { printable } from '../../contract/index.js';
import { currentCredential, rotate } from '../../lifecycle/rotate.js';
import { humanDuration } from '../../lifecycle/deadline.js';
import { locateCredential } from '../../store/installed.js';
import { defineCommand } from '../command.js';
import { EXPIRATION_FLAG, expirationSecondsOf, KUBECONFIG_LOCATION_FLAG, PROXY_FLAG, proxyOf } from '../lifecycle-flags.js';

/** The earliest point of the kubelet's 70-90 % window: from here on, renew counts as due. */
const DUE_FRACTION = 0.7;

export default defineCommand({
  description: `Rotate the client certificate now if it is due (70 % of its lifetime has passed), or
at once with --force. The kubelet's way: a new key, a certificate request sent with the
current certificate (requester system:node:<name>, approved by the cluster's
selfnodeclient rule), and the new certificate replaces the old one only once the cluster
accepts it. Until then the old one stays and keeps working. An interrupted renew is
resumed by the next one (the same key and request are reused).`,
  flags: {
    force: { type: 'boolean', help: 'rotate even if not due yet' },
    ...EXPIRATION_FLAG,
    timeout: { type: 'string', value: '<duration>', duration: {}, help: 'how long to wait for approval and issue (default 15m)' },
    ...KUBECONFIG_LOCATION_FLAG,
    ...PROXY_FLAG,
  },
  exitCodes: true,
  examples: ['kubejoin renew', 'kubejoin renew --force --expiration-seconds 86400'],
  async run({ flags }, ctx) {
    const expirationSeconds = expirationSecondsOf(flags['expiration-seconds']);
    const timeoutMs = flags.timeout;
    const proxy = proxyOf(flags.proxy, ctx.env);
    const installed = await locateCredential({ env: ctx.env, ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}) });
    const { facts } = await currentCredential(installed, Date.now());
    const due = facts.notBeforeMs + DUE_FRACTION * (facts.notAfterMs - facts.notBeforeMs);
    const unfinished = (await installed!.loadRotationKey()) !== undefined || (await installed!.loadUncommitted()) !== undefined;
    if (!flags.force && !unfinished && Date.now() < due) {
      ctx.stdout.write(
        `Not due: certificate serial ${facts.serialNumber} is valid until ${facts.notAfter}; renewal is due from ${new Date(due).toISOString()} (in ${humanDuration(due - Date.now())}).\nNothing changed. Use --force to rotate now.\n`,
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
