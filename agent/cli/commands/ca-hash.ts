import { readFileSync } from 'node:fs';
import { pinsOf } from '../../admin/join-command.js';
import { loadAdminKubeconfig } from '../../admin/admin-kubeconfig.js';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { KUBECONFIG_FLAGS, kubeconfigOf } from '../kubeconfig-flags.js';

export default defineCommand({
  description: `Print the pin of each CA certificate, one per line: sha256:<hex> over the certificate's
SubjectPublicKeyInfo (the value of --discovery-token-ca-cert-hash). Reads the cluster CA of a
kubeconfig (default: $KUBECONFIG, else ~/.kube/config, as kubectl) or a PEM file.`,
  flags: {
    ...KUBECONFIG_FLAGS,
    'ca-file': { type: 'string', value: '<file>', help: 'PEM file (bundle) to pin, e.g. /etc/kubernetes/pki/ca.crt' },
  },
  examples: ['kubejoin ca-hash --ca-file /etc/kubernetes/pki/ca.crt'],
  async run({ flags }, ctx) {
    const caFile = flags['ca-file'];
    if (caFile !== undefined && (flags.kubeconfig !== undefined || flags.context !== undefined)) {
      throw new UsageError('--ca-file cannot be combined with --kubeconfig or --context');
    }
    let pins: string[];
    if (caFile !== undefined) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(caFile);
      } catch (err) {
        throw new UsageError(
          `cannot read --ca-file ${caFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`,
        );
      }
      pins = pinsOf(bytes, caFile);
    } else {
      const target = await loadAdminKubeconfig(kubeconfigOf(flags), ctx.env);
      pins = pinsOf(target.cluster.caBytes, `the cluster ${JSON.stringify(target.cluster.name)} of ${target.source}`);
    }
    ctx.stdout.write(pins.map((p) => `${p}\n`).join(''));
    return 0;
  },
});
