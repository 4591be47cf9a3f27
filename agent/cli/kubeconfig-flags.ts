import type { KubeconfigFlags } from '../admin/admin-kubeconfig.js';
import type { FlagSpecs } from './command.js';

// The flags every command that talks to the API server as an admin takes, as kubectl names them.

export const KUBECONFIG_FLAGS = {
  kubeconfig: { type: 'string', value: 'FILE', help: 'Admin kubeconfig (default: $KUBECONFIG, else ~/.kube/config, as kubectl)' },
  context: { type: 'string', value: 'NAME', help: 'Context to use (default: its current-context)' },
} as const satisfies FlagSpecs;

export function kubeconfigOf(flags: KubeconfigFlags): KubeconfigFlags {
  return { kubeconfig: flags.kubeconfig, context: flags.context };
}
