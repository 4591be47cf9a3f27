import { EXIT_CODES } from '../../contract/index.js';
import { UsageError } from '../../errors.js';
import { credentialStatus } from '../../lifecycle/status.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { defineCommand } from '../command.js';
import { PROXY_FLAG, proxyOf, STORE_FLAGS, storeLocationOf } from '../lifecycle-flags.js';
import { terminalJson } from '../render/json.js';
import { renderStatusText } from '../render/status.js';

export default defineCommand({
  description: `Is this machine joined, as whom, until when? Reads the stored credential (file or
keychain store), asks the cluster who it is with it (SelfSubjectReview), and shows the
certificate's subject, serial, validity, time left and when rotation is due, the store,
and any certificate request that waits for approval (with its "kubectl certificate
approve" line). Offline, it says so and shows what is stored.`,
  flags: {
    ...STORE_FLAGS,
    ...PROXY_FLAG,
    'node-name': { type: 'string', value: '<name>', help: "names an unfinished file-store join's request (default: the host name)" },
    output: { type: 'string', short: 'o', value: 'text|json', help: 'json: one object (state, exitCode, certificate, store, pending, …)' },
  },
  exitCodes: COMMAND_EXIT_CODES.status,
  examples: ['kubejoin status', 'kubejoin status -o json --kubeconfig-out /etc/kubernetes/kubelet.conf'],
  async run({ flags }, ctx) {
    const output = flags.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`--output must be text or json, not ${JSON.stringify(output)}`);
    const { store, ...where } = storeLocationOf(flags);
    const status = await credentialStatus({
      env: ctx.env,
      signal: ctx.signal,
      proxy: proxyOf(flags.proxy, ctx.env),
      ...where,
      ...(flags['node-name'] ? { nodeName: flags['node-name'] } : {}),
    });
    if (store && store !== 'auto' && status.store && status.store.kind !== store) {
      ctx.stderr.write(`warning: --store ${store}, but ${status.store.kubeconfigPath} names a ${status.store.kind}-store credential: showing that\n`);
    }
    ctx.stdout.write(output === 'json' ? `${terminalJson(status, 2)}\n` : renderStatusText(status));
    return status.exitCode ?? EXIT_CODES.internal;
  },
});
