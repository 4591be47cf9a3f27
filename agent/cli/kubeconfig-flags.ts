import type { KubeconfigFlags } from '../admin/admin-kubeconfig.js';
import type { FlagSpecs } from './command.js';

// The flags every command that talks to the API server as an admin takes, as kubectl names them.

export const KUBECONFIG_FLAGS = {
  kubeconfig: { type: 'string', value: 'FILE', help: 'Admin kubeconfig (default: $KUBECONFIG, else ~/.kube/config, as kubectl)' },
  context: { type: 'string', value: 'NAME', help: 'Context to use (default: its current-context)' },
  'request-timeout': { type: 'string', value: 'DURATION', help: 'Give up on one API call after this long (default 30s; 0: never), as kubectl' },
} as const satisfies FlagSpecs;

export function kubeconfigOf(flags: KubeconfigFlags): KubeconfigFlags {
  return { kubeconfig: flags.kubeconfig, context: flags.context, 'request-timeout': flags['request-timeout'] };
}
