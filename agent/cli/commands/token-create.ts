import { AdminClient } from '../../admin/client.js';
import { endpointOf, joinCommand, pinsOf, type JoinFormat } from '../../admin/join-command.js';
import { loadAdminKubeconfig } from '../../admin/admin-kubeconfig.js';
import { DEFAULT_GROUPS, DEFAULT_TTL, DEFAULT_USAGES, KNOWN_USAGES, tokenSpecFromFlags } from '../../admin/token-secret.js';
import { createToken } from '../../admin/tokens.js';
import { createBound, type BoundCreateFlags } from './token-create-bound.js';
import { UsageError } from '../../errors.js';
import { formatToken, generateToken, parseToken } from '../../protocol/token.js';
import { defineCommand } from '../command.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

export default defineCommand({
  description: `Create a bootstrap token on the server (kubeadm's semantics and defaults) and print it.
Without [token], a random one is generated. A token whose id already exists is an error:
nothing is overwritten. Every value is checked before the server is contacted.`,
  flags: {
    // Not a timer: the TTL becomes the token's expiration date, so 8760h is fine.
    ttl: {
      type: 'string',
      value: '<duration>',
      duration: { allowZero: true, notATimer: true },
      help: `Time until the token expires, as a Go duration: 24h, 1h30m, 90s;\n0 = never (default ${DEFAULT_TTL})`,
    },
    usages: {
      type: 'string',
      multiple: true,
      value: '<list>',
      help: `Comma-separated or repeated: ${KNOWN_USAGES.join(', ')}\n(default ${DEFAULT_USAGES.join(',')})`,
    },
    groups: {
      type: 'string',
      multiple: true,
      value: '<list>',
      help: `Extra groups the token authenticates as; each must match\nsystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\n(default ${DEFAULT_GROUPS.join(',')}; none without authentication)`,
    },
    description: { type: 'string', value: '<text>', help: 'A human-friendly description' },
    'print-join-command': {
      type: 'boolean',
      help: "Print the whole join command instead of only the token, with one\n--discovery-token-ca-cert-hash per CA in the kubeconfig's bundle",
    },
    format: { type: 'string', value: 'kubejoin|kubeadm', help: 'The join command to print (default kubejoin)' },
    'node-name': {
      type: 'string',
      multiple: true,
      value: '<name>',
      section: 'Bound tokens (docs/enrollment.md)',
      help: 'Bind a token to this node: it joins as this node only, approved by\n"kubejoin cluster approve". Repeatable: one token per node',
    },
    'nodes-from': {
      type: 'string',
      value: '<file>',
      section: 'Bound tokens (docs/enrollment.md)',
      help: 'Node names, one per line (# comments), one token each',
    },
    'single-use': { type: 'boolean', section: 'Bound tokens (docs/enrollment.md)', help: 'Delete the token once its certificate is issued' },
    output: {
      type: 'string',
      short: 'o',
      value: 'json|yaml',
      section: 'Bound tokens (docs/enrollment.md)',
      help: 'Per node: the token, its expiry and the join command',
    },
    'provisioning-file': {
      type: 'string',
      value: '<path>',
      section: 'Bound tokens (docs/enrollment.md)',
      help: "Write the kiosk's provisioning file (mode 0600, never over an existing\nfile); with several nodes <path> contains {node}",
    },
    ...KUBECONFIG_FLAGS,
  },
  positionals: { usage: '[token]', what: 'token' },
  examples: [
    'kubejoin token create',
    'kubejoin token create --ttl 2h --description "rack 4" --print-join-command',
    'kubejoin token create abcdef.0123456789abcdef --usages authentication --ttl 0',
    'kubejoin token create --node-name edge-17 --single-use --print-join-command',
    'kubejoin token create --nodes-from fleet.txt -o json',
    'kubejoin token create --node-name kiosk-7 --provisioning-file /srv/enroll/kiosk-7.yaml',
  ],
  async run({ flags, positionals }, ctx) {
    // Everything is validated before the server is contacted.
    const token = positionals[0] === undefined ? generateToken() : parseToken(positionals[0]);
    // The one duration rule gives milliseconds; the token's TTL is written as a Go duration.
    const ttl = flags.ttl === undefined ? undefined : `${flags.ttl}ms`;
    const format = flags.format ?? 'kubejoin';
    if (format !== 'kubejoin' && format !== 'kubeadm') {
      throw new UsageError(`invalid --format ${JSON.stringify(format)}`, 'Use --format kubejoin or --format kubeadm.');
    }
    if (flags['node-name'] !== undefined || flags['nodes-from'] !== undefined) {
      const bound: BoundCreateFlags = {
        nodeNames: flags['node-name'] ?? [],
        ...(flags['nodes-from'] === undefined ? {} : { nodesFrom: flags['nodes-from'] }),
        ...(positionals[0] === undefined ? {} : { token }),
        singleUse: flags['single-use'] === true,
        ...(ttl === undefined ? {} : { ttl }),
        ...(flags.usages === undefined ? {} : { usages: flags.usages }),
        ...(flags.groups === undefined ? {} : { groups: flags.groups }),
        ...(flags.description === undefined ? {} : { description: flags.description }),
        ...(flags.output === undefined ? {} : { output: flags.output }),
        ...(flags['provisioning-file'] === undefined ? {} : { provisioningFile: flags['provisioning-file'] }),
        printJoinCommand: flags['print-join-command'] === true,
        format,
      };
      return createBound(bound, () => loadAdminKubeconfig(kubeconfigOf(flags), ctx.env), ctx);
    }
    for (const f of ['single-use', 'output', 'provisioning-file'] as const) {
      if (flags[f] !== undefined) throw new UsageError(`--${f} applies only to bound tokens (--node-name or --nodes-from)`);
    }
    const spec = tokenSpecFromFlags({ token, ttl, usages: flags.usages, groups: flags.groups, description: flags.description });
    if (flags.format !== undefined && !flags['print-join-command']) {
      throw new UsageError('--format applies only with --print-join-command');
    }
    const target = await loadAdminKubeconfig(kubeconfigOf(flags), ctx.env);
    let join: { endpoint: string; pins: string[] } | undefined;
    if (flags['print-join-command']) {
      join = {
        endpoint: endpointOf(target.cluster.server),
        pins: pinsOf(target.cluster.caBytes, `the kubeconfig's cluster ${JSON.stringify(target.cluster.name)}`),
      };
    }
    const client = await AdminClient.forTarget(target);
    await createToken(client, spec, Date.now());
    const text = formatToken(token);
    ctx.stdout.write(join === undefined ? `${text}\n` : `${joinCommand(format as JoinFormat, join.endpoint, text, join.pins)}\n`);
    return 0;
  },
});
