import { X509Certificate } from 'node:crypto';
import { KubejoinError, UsageError } from '../../errors.js';
import { readCredentialDirect, serviceName } from '../../store/secret-service.js';
import { defineCommand } from '../command.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { STORE_FLAGS, storeLocationOf, storeMismatch, type StoreLocation } from '../store-flags.js';
import type { CliContext } from '../context.js';

// kubectl runs this on every call through a keychain kubeconfig (docs/stores.md §2), so it is
// the one command kept lean: on Linux it reads the entry straight from the Secret Service over
// D-Bus (no native code, no second process); any other outcome goes through keytar's helper,
// and only then is the store's code loaded. With the join's store flags instead of --server and
// --node-name (an operator at a shell), the credential is found through the join's kubeconfig,
// in either store; that path loads the store, the plugin's never does.

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
    throw keychainFailure(`read the credential of node "${nodeName}"`, err, env);
  }
  // Reads through an interrupted rotation's commit (agent/store/keychain-entries.ts).
  const { loadKeychainPair } = await import('../../store/keychain-entries.js');
  return loadKeychainPair(env, nodeName, server);
}

/** The credential the join's kubeconfig names (either store), found with the store flags. */
async function locatedPair(where: StoreLocation, ctx: CliContext): Promise<{ certPem: string; keyPem: string }> {
  const { locateCredential, kubeconfigPathOf } = await import('../../store/installed.js');
  const opts = { env: ctx.env, ...(where.kubeconfig ? { kubeconfig: where.kubeconfig } : {}) };
  const installed = await locateCredential(opts);
  if (!installed) {
    throw new KubejoinError('not-joined', `no kubeconfig from a join at ${kubeconfigPathOf(opts)}`, {
      hint: 'Pass the kubeconfig the join wrote with --kubeconfig-out (or --kubeconfig), or join first.',
    });
  }
  const mismatch = storeMismatch(where, installed);
  if (mismatch) ctx.stderr.write(`${mismatch}\n`);
  const pair = await installed.load();
  if (!pair) {
    throw new KubejoinError('not-joined', `${installed.kubeconfigPath} names a credential that is gone (${installed.describe().location})`, {
      hint: 'Join again with "kubejoin join …".',
    });
  }
  return pair;
}

export default defineCommand({
  description: `Prints the stored credential as a client.authentication.k8s.io/v1 ExecCredential.
kubectl runs this, with --server and --node-name, as the exec plugin of the kubeconfig
that "kubejoin join --store keychain" writes; you do not need to run it yourself. At a
shell, the join's store flags find the credential (either store) through the kubeconfig
the join wrote, as for "kubejoin status".`,
  flags: {
    server: { type: 'string', value: '<url>', section: 'The keychain entry (the exec plugin)', help: 'the API server the credential is for' },
    'node-name': { type: 'string', value: '<name>', section: 'The keychain entry (the exec plugin)', help: 'the node name the credential is for' },
    ...STORE_FLAGS,
  },
  exitCodes: COMMAND_EXIT_CODES.credential,
  examples: ['kubejoin credential --server https://10.0.0.1:6443 --node-name kiosk-12', 'kubejoin credential --kubeconfig-out /etc/kubernetes/kubelet.conf'],
  async run({ flags }, ctx) {
    const where = storeLocationOf(flags);
    const server = flags.server;
    const nodeName = flags['node-name'];
    if (server === undefined && nodeName === undefined) {
      ctx.stdout.write(execCredential(await locatedPair(where, ctx)));
      return 0;
    }
    if (!server || !nodeName)
      throw new UsageError(
        '--server and --node-name go together: they name the keychain entry (as the exec plugin does)',
        'Give both, or neither and the store flags (--kubeconfig-out …).',
      );
    if (where.store === 'file' || where.certDir !== undefined || where.kubeconfig !== undefined) {
      throw new UsageError(
        "--server and --node-name name a keychain entry; --store file, --cert-dir and --kubeconfig-out find the credential through the join's kubeconfig instead",
        'Give one or the other.',
      );
    }
    const pair = await readCredential(ctx.env, nodeName, server);
    if (!pair) {
      throw new KubejoinError('store-failed', `no credential for node "${nodeName}" at ${server} in the keychain (service "${serviceName(ctx.env)}")`, {
        hint: 'Join again with "kubejoin join … --store keychain".',
      });
    }
    ctx.stdout.write(execCredential(pair));
    return 0;
  },
});
