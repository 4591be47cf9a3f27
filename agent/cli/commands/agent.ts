import { printable } from '../../contract/index.js';
import { KubejoinError, UsageError } from '../../errors.js';
import { clockFromEnv } from '../../lifecycle/clock.js';
import { runRotationAgent } from '../../lifecycle/agent-loop.js';
import { DEFAULT_CA_CHECK_INTERVAL_MS, DEFAULT_CA_RENEW_WINDOW_MS } from '../../lifecycle/ca-follow.js';
import { AgentMetrics, listenMetrics, textfileWriter } from '../../lifecycle/metrics.js';
import { locateCredential } from '../../store/installed.js';
import { defineCommand, outputOf } from '../command.js';
import { DEFAULT_AGENT_CONFIG, EXPIRATION_FLAG, expirationSecondsOf, PROXY_FLAG, proxyOf, STORE_FLAGS, storeLocationOf } from '../lifecycle-flags.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { rejoinNode } from '../rejoin.js';
import { readTokenFile, resolveToken, TOKEN_ENVIRONMENT } from '../token-source.js';
import { VERSION } from '../version.js';

/** One log line as JSON; a CA change (docs/operations.md) also names its event. */
function jsonLine(line: string): string {
  const event = /^(ca-added|ca-removed|ca-refused): /.exec(line)?.[1];
  return JSON.stringify({ time: new Date().toISOString(), ...(event ? { event } : {}), message: line });
}

export default defineCommand({
  description: `Keep this machine joined: sleep until the client certificate's rotation deadline (a
random 70-90 % of its lifetime, as the kubelet computes it), rotate it (see "kubejoin
renew"), and start over. Meanwhile it follows the cluster's CA bundle: it watches
kube-public/cluster-info with the node's certificate and reads it after --ca-check-interval
without news (reads alone where the cluster forbids the watch). A CA added is stored at once,
a CA removed only once the API server verifies without it, and a change brings a renewal
forward. With a bootstrap token (--token-file, --provisioning-file, KUBEJOIN_TOKEN) an expired
or refused certificate is replaced by joining again as the same node. When the cluster is away
it retries with a capped, jittered backoff (2 s doubling to 5 min). One log line per event on
stdout. SIGTERM or SIGINT end it cleanly (exit 0); it ends by itself only when there is nothing
it can do: not joined (10) or the certificate expired and no token (11). Settings may come from
--config (default ${DEFAULT_AGENT_CONFIG} if it exists). Run it from systemd
(kubejoin-agent.service). See docs/operations.md.`,
  flags: {
    ...EXPIRATION_FLAG,
    ...STORE_FLAGS,
    ...PROXY_FLAG,
    config: {
      type: 'string',
      value: '<file>',
      help: `these flags as a YAML or JSON mapping (onCaChange, caCheckInterval, tokenFile, …;\nan unknown key is exit 2); a flag wins (default: ${DEFAULT_AGENT_CONFIG} if it exists)`,
    },
    'token-file': {
      type: 'string',
      value: '<path>',
      help: 'bootstrap token for joining again when the certificate expired or is refused\n(read when needed; systemd: LoadCredential=, then $CREDENTIALS_DIRECTORY/<name>)',
    },
    'provisioning-file': {
      type: 'string',
      value: '<path>',
      help: "the same, from a kiosk's provisioning file (its token or tokenFile; read when needed)",
    },
    'on-ca-change': {
      type: 'string',
      value: '<command>',
      help: 'run by /bin/sh after the stored CA bundle changed\n(e.g. "systemctl try-restart kubelet"); its exit status is logged',
    },
    output: { type: 'string', short: 'o', value: 'text|json', help: 'json: one JSON object per line (time, message; "event" for CA changes)' },
    'ca-check-interval': {
      type: 'string',
      value: '<duration>',
      duration: {},
      help: `read the cluster's CA bundle after this long without news from its watch\n(default ${DEFAULT_CA_CHECK_INTERVAL_MS / 60_000}m, jittered ±10 %; where the watch is forbidden, the read interval)`,
    },
    'ca-renew-window': {
      type: 'string',
      value: '<duration>',
      duration: {},
      help: `after a CA bundle change, renew the client certificate at a random\ntime within this window (default ${DEFAULT_CA_RENEW_WINDOW_MS / 60_000}m)`,
    },
    'metrics-textfile': {
      type: 'string',
      value: '<path>',
      help: "write certificate metrics for node_exporter's textfile collector\n(replaced atomically after every check; the name must end in .prom)",
    },
    'metrics-listen': { type: 'string', value: '<host:port>', help: 'serve the same metrics at http://<host:port>/metrics (e.g. 127.0.0.1:9731)' },
  },
  // A test hook, only in the test build (docs/architecture.md, "Test hooks").
  environment: [
    TOKEN_ENVIRONMENT,
    ...(globalThis.KUBEJOIN_TEST_HOOKS !== false
      ? [['KUBEJOIN_TEST_CLOCK_SCALE', 'TEST ONLY: make every wait N times shorter (validity is still judged in real time)'] as const]
      : []),
  ],
  exitCodes: COMMAND_EXIT_CODES.agent,
  examples: [
    'kubejoin agent',
    'kubejoin agent --kubeconfig /etc/kubernetes/kubelet.conf --on-ca-change "systemctl try-restart kubelet"',
    'kubejoin agent --token-file "$CREDENTIALS_DIRECTORY/join-token" --metrics-textfile /var/lib/node_exporter/kubejoin.prom',
  ],
  async run({ flags: given }, ctx) {
    // The file's reader brings a full YAML parser: loaded by the agent alone.
    const { loadAgentConfig, withConfig } = await import('../agent-config.js');
    const flags = withConfig(given, await loadAgentConfig(given.config));
    const expirationSeconds = expirationSecondsOf(flags['expiration-seconds']);
    const clock = clockFromEnv(ctx.env);
    const where = storeLocationOf(flags);
    const proxy = proxyOf(flags.proxy, ctx.env);
    const intervalMs = flags['ca-check-interval'] ?? DEFAULT_CA_CHECK_INTERVAL_MS;
    const renewWindowMs = flags['ca-renew-window'] ?? DEFAULT_CA_RENEW_WINDOW_MS;
    const textfile = flags['metrics-textfile'];
    if (textfile !== undefined && !textfile.endsWith('.prom'))
      throw new UsageError(`--metrics-textfile ${textfile}: node_exporter reads only files named *.prom`);
    // The token file is read when a re-join is needed, not at start: an administrator may put a
    // new token there later (docs/operations.md); KUBEJOIN_TOKEN is read once.
    const provisioning = flags['provisioning-file'];
    if (provisioning !== undefined && flags['token-file'] !== undefined)
      throw new UsageError(`--token-file ${flags['token-file']} and --provisioning-file ${provisioning}: give one source of the bootstrap token`);
    const tokenFile = flags['token-file'] ?? provisioning;
    const envToken = tokenFile === undefined ? (await resolveToken({}, ctx)).token : undefined;
    const token = async (): Promise<string> => {
      if (tokenFile === undefined) return envToken!;
      try {
        if (provisioning === undefined) return await readTokenFile(tokenFile, ctx);
        const { tokenFromProvisioningFile } = await import('../provisioning-token.js');
        return await tokenFromProvisioningFile(provisioning, ctx);
      } catch (err) {
        // Not fatal: the agent retries with its backoff, so a token put there later is used.
        throw new KubejoinError('token-refused', (err as Error).message, { hint: `Put a bootstrap token into ${tokenFile}.` });
      }
    };
    const output = outputOf(flags.output);
    const log = (line: string): void => void ctx.stdout.write(output === 'json' ? `${jsonLine(line)}\n` : `${new Date().toISOString()} ${printable(line)}\n`);
    if (globalThis.KUBEJOIN_TEST_HOOKS !== false && ctx.env.KUBEJOIN_TEST_CLOCK_SCALE)
      log(`TEST CLOCK: waits are ${ctx.env.KUBEJOIN_TEST_CLOCK_SCALE} times shorter (KUBEJOIN_TEST_CLOCK_SCALE)`);
    const metrics = new AgentMetrics(VERSION, textfile ? textfileWriter(textfile, log) : undefined);
    const server = flags['metrics-listen']
      ? await listenMetrics(flags['metrics-listen'], metrics).catch((err: Error) => {
          throw new UsageError(err.message.startsWith('--') ? err.message : `--metrics-listen ${flags['metrics-listen']}: ${err.message}`);
        })
      : undefined;
    const locate = (): ReturnType<typeof locateCredential> => locateCredential({ env: ctx.env, ...(where.kubeconfig ? { kubeconfig: where.kubeconfig } : {}) });
    const canRejoin = tokenFile !== undefined || envToken !== undefined;
    log(`agent started (pid ${process.pid})${canRejoin ? `; joins again with the bootstrap token of ${tokenFile ?? 'KUBEJOIN_TOKEN'} if needed` : ''}`);
    try {
      return await runRotationAgent({
        locate,
        signal: ctx.signal,
        proxy,
        log,
        clock,
        observer: metrics,
        followCa: { intervalMs, renewWindowMs, ...(flags['on-ca-change'] ? { onCaChange: flags['on-ca-change'] } : {}) },
        ...(canRejoin
          ? {
              rejoin: async () => {
                const installed = await locate();
                if (!installed) throw new Error('no stored credential to join again');
                return rejoinNode(installed, { token: await token(), env: ctx.env, signal: ctx.signal, proxy: flags.proxy, log });
              },
            }
          : {}),
        ...(expirationSeconds !== undefined ? { expirationSeconds } : {}),
      });
    } finally {
      server?.close();
    }
  },
});
