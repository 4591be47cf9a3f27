import { X509Certificate } from 'node:crypto';
import { KubejoinError, UsageError } from '../../errors.js';
import { readCredentialDirect, serviceName } from '../../store/secret-service.js';
import { defineCommand } from '../command.js';

// kubectl runs this on every call through a keychain kubeconfig (docs/stores.md §2), so it is
// the one command kept lean: on Linux it reads the entry straight from the Secret Service over
// D-Bus (no native code, no second process); any other outcome goes through keytar's helper,
// and only then is the store's code loaded.

/** The ExecCredential for a pair; `expirationTimestamp` (notAfter) lets client-go cache it. */
export function execCredential({ certPem, keyPem }: { certPem: string; keyPem: string }): string {
  const notAfter = new Date(new X509Certificate(certPem).validTo).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { clientCertificateData: certPem, clientKeyData: keyPem, expirationTimestamp: notAfter },
  })}\n`;
}

async function readCredential(env: NodeJS.ProcessEnv, nodeName: string, server: string): Promise<{ certPem: string; keyPem: string } | undefined> {
  try {
    const direct = await readCredentialDirect(env, nodeName, server);
    if (direct) return direct;
  } catch (err) {
    const { keychainFailure } = await import('../../store/keychain-entries.js');
    throw keychainFailure(`read the credential of node "${nodeName}"`, err);
  }
  // Reads through an interrupted rotation's commit (agent/store/keychain-entries.ts).
  const { loadKeychainPair } = await import('../../store/keychain-entries.js');
  return loadKeychainPair(env, nodeName, server);
}

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
    const pair = await readCredential(ctx.env, flags['node-name'], flags.server);
    if (!pair) {
      throw new KubejoinError(
        'store-failed',
        `no credential for node "${flags['node-name']}" at ${flags.server} in the keychain (service "${serviceName(ctx.env)}")`,
        { hint: 'Join again with "kubejoin join … --store keychain".' },
      );
    }
    ctx.stdout.write(execCredential(pair));
    return 0;
  },
});
