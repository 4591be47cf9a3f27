import { printable } from '../../contract/index.js';
import { clockFromEnv } from '../../lifecycle/clock.js';
import { runRotationAgent } from '../../lifecycle/agent-loop.js';
import { locateCredential } from '../../store/installed.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { defineCommand } from '../command.js';
import { EXPIRATION_FLAG, expirationSecondsOf, PROXY_FLAG, proxyOf, STORE_FLAGS, storeLocationOf } from '../lifecycle-flags.js';

export default defineCommand({
  description: `Keep this machine joined: sleep until the client certificate's rotation deadline (a
random 70-90 % of its lifetime, as the kubelet computes it), rotate it (see "kubejoin
renew"), and start over. When the cluster is away it retries with a capped, jittered
backoff (2 s doubling to 5 min). One log line per event on stdout. SIGTERM or SIGINT end it
cleanly (exit 0); it ends by itself only when there is nothing it can do: not joined (10)
or the certificate expired (11). Run it from systemd (kubejoin-agent.service).`,
  flags: {
    ...EXPIRATION_FLAG,
    ...STORE_FLAGS,
    ...PROXY_FLAG,
  },
  // A test hook, only in the test build (docs/architecture.md, "Test hooks").
  environment:
    globalThis.KUBEJOIN_TEST_HOOKS !== false
      ? [['KUBEJOIN_TEST_CLOCK_SCALE', 'TEST ONLY: make every wait N times shorter (validity is still judged in real time)']]
      : [],
  exitCodes: COMMAND_EXIT_CODES.agent,
  examples: ['kubejoin agent', 'kubejoin agent --kubeconfig /etc/kubernetes/kubelet.conf'],
  async run({ flags }, ctx) {
    const expirationSeconds = expirationSecondsOf(flags['expiration-seconds']);
    const clock = clockFromEnv(ctx.env);
    const where = storeLocationOf(flags);
    const proxy = proxyOf(flags.proxy, ctx.env);
    const log = (line: string): void => void ctx.stdout.write(`${new Date().toISOString()} ${printable(line)}\n`);
    if (globalThis.KUBEJOIN_TEST_HOOKS !== false && ctx.env.KUBEJOIN_TEST_CLOCK_SCALE)
      log(`TEST CLOCK: waits are ${ctx.env.KUBEJOIN_TEST_CLOCK_SCALE} times shorter (KUBEJOIN_TEST_CLOCK_SCALE)`);
    log(`agent started (pid ${process.pid})`);
    return runRotationAgent({
      locate: () => locateCredential({ env: ctx.env, ...(where.kubeconfig ? { kubeconfig: where.kubeconfig } : {}) }),
      signal: ctx.signal,
      proxy,
      log,
      clock,
      ...(expirationSeconds !== undefined ? { expirationSeconds } : {}),
    });
  },
});
