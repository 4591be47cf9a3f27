import type { KubeconfigFlags } from '../admin/admin-kubeconfig.js';
import { REQUEST_TIMEOUT_RULE } from '../admin/request-timeout.js';
import type { FlagSpecs, FlagValues } from './command.js';

// The flags every command that talks to the API server as an admin takes, as kubectl names them.

export const KUBECONFIG_FLAGS = {
  kubeconfig: { type: 'string', value: '<file>', help: 'Admin kubeconfig (default: $KUBECONFIG, else ~/.kube/config, as kubectl)' },
  context: { type: 'string', value: '<name>', help: 'Context to use (default: its current-context)' },
  'request-timeout': {
    type: 'string',
    value: '<duration>',
    duration: REQUEST_TIMEOUT_RULE,
    help: 'Give up on one API call after this long (default 30s; 0: never), as kubectl',
  },
} as const satisfies FlagSpecs;

/** The admin kubeconfig's flags as agent/admin takes them (the timeout, already checked, in ms). */
export function kubeconfigOf(flags: FlagValues<typeof KUBECONFIG_FLAGS>): KubeconfigFlags {
  const ms = flags['request-timeout'];
  return { kubeconfig: flags.kubeconfig, context: flags.context, 'request-timeout': ms === undefined ? undefined : `${ms}ms` };
}
