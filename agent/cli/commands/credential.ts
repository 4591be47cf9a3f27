import { X509Certificate } from 'node:crypto';
import { parseArgs } from 'node:util';
import { UsageError } from '../../errors.js';
import { readKeychainCredential } from '../../store/keychain.js';
import type { Command } from '../context.js';

const help = `Usage: kubejoin credential --server <url> --node-name <name>

Prints the credential stored in the OS keychain by "kubejoin join --store keychain" as a
client.authentication.k8s.io/v1 ExecCredential. kubectl runs this as the exec plugin of
the kubeconfig that join writes; you do not need to run it yourself.
`;

const command: Command = {
  name: 'credential',
  summary: 'Print the stored credential as an ExecCredential (kubectl exec plugin)',
  help,
  async run(argv, ctx) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { server: { type: 'string' }, 'node-name': { type: 'string' } }, strict: true }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (!values.server || !values['node-name']) throw new UsageError('--server and --node-name are required');
    const { certPem, keyPem } = await readKeychainCredential(ctx.env, values['node-name'], values.server);
    const notAfter = new Date(new X509Certificate(certPem).validTo).toISOString().replace(/\.\d{3}Z$/, 'Z');
    ctx.stdout.write(
      `${JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1',
        kind: 'ExecCredential',
        status: { clientCertificateData: certPem, clientKeyData: keyPem, expirationTimestamp: notAfter },
      })}\n`,
    );
    return 0;
  },
};

export default command;
