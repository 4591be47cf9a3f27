import { UsageError } from '../errors.js';
import { MIN_EXPIRATION_SECONDS } from '../lifecycle/rotate.js';
import type { FlagSpecs } from './command.js';
import { proxyConfig, type ProxyConfig } from '../transport/proxy.js';

// The flags status, renew and agent share beyond the store flags (./store-flags.ts, which
// `credential` takes too without loading this file's imports).

export { KUBECONFIG_LOCATION_FLAG, LOCATION_FLAGS, STORE_FLAGS, storeLocationOf, storeMismatch, type StoreLocation } from './store-flags.js';

/** `kubejoin agent` reads this file when it exists and no --config is given (docs/operations.md). */
export const DEFAULT_AGENT_CONFIG = '/etc/kubejoin/agent.yaml';

export const EXPIRATION_FLAG = {
  'expiration-seconds': {
    type: 'string',
    value: '<n>',
    help: `ask for a certificate valid this long (the CSR's spec.expirationSeconds,\nat least ${MIN_EXPIRATION_SECONDS}; the cluster may grant less; default: the cluster's choice)`,
  },
} as const satisfies FlagSpecs;

export function expirationSecondsOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < MIN_EXPIRATION_SECONDS) {
    throw new UsageError(
      `--expiration-seconds must be a whole number of seconds, at least ${MIN_EXPIRATION_SECONDS} (the API server's minimum), not ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** status, renew and agent reach the cluster the way the join did (docs/protocol.md §3.11). */
export const PROXY_FLAG = {
  proxy: {
    type: 'string',
    value: '<url>',
    help: 'HTTPS proxy (HTTP CONNECT), http[s]://[user:password@]host:port\n(default: HTTPS_PROXY or https_proxy; NO_PROXY applies either way)',
  },
} as const satisfies FlagSpecs;

/** The proxy in effect: --proxy, else HTTPS_PROXY/https_proxy (a bad URL is exit 2). */
export function proxyOf(flag: string | undefined, env: NodeJS.ProcessEnv): ProxyConfig | undefined {
  return proxyConfig(env, flag ? { value: flag, source: '--proxy' } : undefined);
}
