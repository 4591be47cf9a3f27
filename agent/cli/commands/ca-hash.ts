import { readFileSync } from 'node:fs';
import { HELP_OPTION, KUBECONFIG_OPTIONS, noPositionals, parseFlags } from '../admin-flags.js';
import { pinsOf } from '../../admin/join-command.js';
import { loadAdminKubeconfig } from '../../admin/admin-kubeconfig.js';
import { UsageError } from '../../errors.js';
import type { CliContext, Command } from '../context.js';

const help = `Usage: kubejoin ca-hash [--kubeconfig FILE [--context NAME] | --ca-file FILE]

Print the pin of each CA certificate, one per line: sha256:<hex> over the certificate's
SubjectPublicKeyInfo (the value of --discovery-token-ca-cert-hash). Reads the cluster CA of a
kubeconfig (default: $KUBECONFIG, else ~/.kube/config, as kubectl) or a PEM file.

Flags:
  --kubeconfig FILE  Kubeconfig whose cluster CA to pin
  --context NAME     Context to use (default: its current-context)
  --ca-file FILE     PEM file (bundle) to pin, e.g. /etc/kubernetes/pki/ca.crt

Example:
  kubejoin ca-hash --ca-file /etc/kubernetes/pki/ca.crt
`;

const caHash: Command = {
  name: 'ca-hash',
  summary: 'Print the sha256 pin(s) of a cluster CA',
  help,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({
      args: argv,
      allowPositionals: true,
      options: { ...HELP_OPTION, ...KUBECONFIG_OPTIONS, 'ca-file': { type: 'string' } },
    });
    if (values.help) {
      ctx.stdout.write(help);
      return 0;
    }
    noPositionals(positionals, 'kubejoin ca-hash [--kubeconfig FILE | --ca-file FILE]');
    const caFile = values['ca-file'];
    if (caFile !== undefined && (values.kubeconfig !== undefined || values.context !== undefined)) {
      throw new UsageError('--ca-file cannot be combined with --kubeconfig or --context');
    }
    let pins: string[];
    if (caFile !== undefined) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(caFile);
      } catch (err) {
        throw new UsageError(`cannot read --ca-file ${caFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`);
      }
      pins = pinsOf(bytes, caFile);
    } else {
      const target = await loadAdminKubeconfig({ kubeconfig: values.kubeconfig, context: values.context }, ctx.env);
      pins = pinsOf(target.cluster.caBytes, `the cluster ${JSON.stringify(target.cluster.name)} of ${target.source}`);
    }
    ctx.stdout.write(pins.map((p) => `${p}\n`).join(''));
    return 0;
  },
};

export default caHash;
