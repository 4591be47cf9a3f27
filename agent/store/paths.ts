import os from 'node:os';
import { join } from 'node:path';

/** The kubelet's defaults for root; an XDG state directory for other users. */
export function defaultCertDir(env: NodeJS.ProcessEnv): string {
  return isRoot() ? '/var/lib/kubelet/pki' : join(stateHome(env), 'kubejoin', 'pki');
}

export function defaultKubeconfigPath(env: NodeJS.ProcessEnv): string {
  return isRoot() ? '/etc/kubernetes/kubelet.conf' : join(stateHome(env), 'kubejoin', 'kubelet.conf');
}

function stateHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_STATE_HOME || join(env.HOME || os.homedir(), '.local', 'state');
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
