import { secretsOf, type DoctorRequest } from '../../contract/index.js';
import { runDoctor } from '../../doctor/index.js';
import { closeSharedAgents } from '../../transport/http.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';
import { defineCommand, outputOf } from '../command.js';
import { maskedStream } from '../masked-output.js';
import { renderDoctorText } from '../render/doctor.js';
import { resolveToken, TOKEN_ENVIRONMENT, TOKEN_FLAGS } from '../token-source.js';
import { terminalJson } from '../render/json.js';

export default defineCommand({
  description: `Check, one layer at a time, why this device can or cannot join the cluster at <host:port>:
the proxy in effect, DNS, TCP, the TLS handshake (the server's chain and names), clock skew,
cluster-info (readable anonymously, signed for the token id), the CA pin with a verified
handshake and, only after the pin holds, whether the token authenticates and may create
certificate requests. Prints each check with its evidence and the most likely cause first,
with its fix. Every check runs within --timeout together; the token is never sent before
the pin holds. Exit code: 0 when nothing failed (warnings allowed), otherwise the exit code
of the most likely cause's category (the same codes as "kubejoin join").`,
  flags: {
    'discovery-token-ca-cert-hash': { type: 'string', multiple: true, value: 'sha256:<hex>', help: 'pin of the cluster CA public key (repeatable)' },
    ...TOKEN_FLAGS,
    proxy: { type: 'string', value: '<url>', help: 'HTTPS proxy (HTTP CONNECT), http[s]://[user:password@]host:port (default: HTTPS_PROXY)' },
    timeout: { type: 'string', value: '<duration>', duration: {}, help: 'bound on all checks together (default 15s)' },
    output: { type: 'string', short: 'o', value: 'text|json', help: 'json: the report as one JSON object' },
  },
  positionals: { usage: '<host:port>', what: 'API server endpoint', min: 1 },
  environment: [TOKEN_ENVIRONMENT, ['HTTPS_PROXY, NO_PROXY', 'the proxy and its exceptions, read as Go (kubeadm, kubectl) reads them']],
  examples: [
    'kubejoin doctor 10.0.0.1:6443 --discovery-token-ca-cert-hash sha256:0123… --token-file /run/secrets/join-token',
    'kubejoin doctor api.example.com:6443 -o json',
  ],
  exitCodes: COMMAND_EXIT_CODES.doctor,
  async run({ flags, positionals }, context) {
    const output = outputOf(flags.output);
    const req: DoctorRequest = { endpoint: positionals[0]! };
    if (flags['discovery-token-ca-cert-hash']) req.caCertHashes = flags['discovery-token-ca-cert-hash'].flatMap((h) => h.split(',')).filter(Boolean);
    const { token, warnings } = await resolveToken(flags, context);
    for (const w of warnings) context.stderr.write(`${w}\n`);
    if (token !== undefined) req.token = token;
    if (flags.proxy !== undefined) req.proxy = flags.proxy;
    if (flags.timeout !== undefined) req.timeoutMs = flags.timeout;
    const stdout = maskedStream(context.stdout, secretsOf(req.token));
    const report = await runDoctor(req, { env: context.env, signal: context.signal });
    closeSharedAgents();
    stdout.write(output === 'json' ? `${terminalJson(report, 2)}\n` : renderDoctorText(report));
    return report.exitCode;
  },
});
