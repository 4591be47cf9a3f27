import { AdminClient } from '../../admin/client.js';
import { formatTokens, type ListFormat } from '../../admin/token-format.js';
import { listTokens } from '../../admin/tokens.js';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

const FORMATS: Readonly<Record<string, ListFormat>> = { table: 'table', text: 'table', wide: 'wide', json: 'json', yaml: 'yaml' };

export default defineCommand({
  description: `List the bootstrap tokens on the server, with kubeadm's columns:
TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS. Token secrets are masked unless
--show-secrets. Malformed token Secrets are reported on stderr and skipped.`,
  flags: {
    output: {
      type: 'string',
      short: 'o',
      value: 'table|wide|json|yaml',
      help: "Output format (default table); wide adds NODE and SINGLE-USE (bound tokens);\njson and yaml print a List of kubeadm's output.kubeadm.k8s.io/v1alpha3\nBootstrapToken objects (with nodeName and singleUse for bound tokens)",
    },
    'show-secrets': { type: 'boolean', help: 'Print whole tokens instead of <id>.****************' },
    ...KUBECONFIG_FLAGS,
  },
  async run({ flags }, ctx) {
    const format = FORMATS[flags.output ?? 'table'];
    if (format === undefined) throw new UsageError(`invalid --output ${JSON.stringify(flags.output)}`, 'Use -o table, -o wide, -o json or -o yaml.');
    const client = await AdminClient.connect(kubeconfigOf(flags), ctx.env);
    const { tokens, problems } = await listTokens(client);
    for (const p of problems) ctx.stderr.write(`warning: skipped a malformed token: ${p}\n`);
    ctx.stdout.write(formatTokens(format, tokens, Date.now(), flags['show-secrets'] === true));
    if ((format === 'table' || format === 'wide') && tokens.length === 0) ctx.stderr.write('No bootstrap tokens found.\n');
    return 0;
  },
});
