import type { JoinResult } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { join } from '../join/engine.js';
import { certificateFacts } from '../lifecycle/deadline.js';
import { pinOf, certificatesOf } from '../protocol/pin.js';
import type { InstalledCredential } from '../store/installed.js';
import { FileStore } from '../store/file.js';
import { credentialCommand } from './commands/join.js';

// The agent's re-join (docs/operations.md, "An expired or revoked node"): the engine's join,
// as "kubejoin join --force" would run it for this very node: the same API server, the CA
// it holds now as the discovery pin, the same node name, store, certificate directory and
// kubeconfig. The engine keeps the old credential until the new one is proven.

export interface RejoinContext {
  token: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  proxy?: string | undefined;
  log: (line: string) => void;
}

/** Joins `installed`'s node again; resolves with the identity the cluster sees. */
export async function rejoinNode(installed: InstalledCredential, ctx: RejoinContext): Promise<string> {
  const pair = await installed.load();
  const nodeName = pair ? certificateFacts(pair.certPem).nodeName : installed.kind === 'keychain' ? (installed as { nodeName?: string }).nodeName : undefined;
  if (!nodeName) throw new KubejoinError('invalid-input', 'cannot join again: the stored certificate does not name the node');
  const events = join(
    {
      endpoint: new URL(installed.cluster.server).host,
      token: ctx.token,
      caCertHashes: certificatesOf(installed.cluster.caPem).map((c) => pinOf(c)),
      nodeName,
      store: installed.kind,
      ...(installed instanceof FileStore ? { certDir: installed.certDir } : {}),
      kubeconfigOut: installed.kubeconfigPath,
      force: true,
      ...(ctx.proxy ? { proxy: ctx.proxy } : {}),
    },
    { signal: ctx.signal, env: ctx.env, credentialCommand: credentialCommand(), deviceFacts: false },
  );
  let result: JoinResult | undefined;
  for await (const event of events) {
    if (event.type === 'succeeded' && event.message) ctx.log(`join: ${event.phase}: ${event.message}`);
    if (event.type === 'result') result = event.result;
  }
  if (!result) throw new KubejoinError('internal', 'the join ended without a result');
  if (!result.ok) throw new KubejoinError(result.error.category, result.error.message, result.error.hint ? { hint: result.error.hint } : {});
  return `${result.identity.username} (certificate request ${result.csrName}, valid until ${result.certificate.notAfter})`;
}
