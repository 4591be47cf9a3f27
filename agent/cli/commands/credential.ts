import { X509Certificate } from 'node:crypto';
import { KubejoinError, UsageError } from '../../errors.js';
import { keychainService, loadKeychainPair } from '../../store/keychain.js';
import { defineCommand } from '../command.js';

export default defineCommand({
  description: `Prints the credential stored in the OS keychain by "kubejoin join --store keychain" as a
client.authentication.k8s.io/v1 ExecCredential. kubectl runs this as the exec plugin of
the kubeconfig that join writes; you do not need to run it yourself.`,
  flags: {
    server: { type: 'string', value: '<url>', help: 'the API server the credential is for (required)' },
    'node-name': { type: 'string', value: '<name>', help: 'the node name the credential is for (required)' },
  },
  async run({ flags }, ctx) {
    if (!flags.server || !flags['node-name']) throw new UsageError('--server and --node-name are required');
    // Reads through an interrupted rotation's commit (agent/store/keychain-entries.ts).
    const service = keychainService(ctx.env);
    const pair = await loadKeychainPair(ctx.env, flags['node-name'], flags.server);
    if (!pair) {
      throw new KubejoinError('store-failed', `no credential for node "${flags['node-name']}" at ${flags.server} in the keychain (service "${service}")`, {
        hint: 'Join again with "kubejoin join … --store keychain".',
      });
    }
    const { certPem, keyPem } = pair;
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
});
