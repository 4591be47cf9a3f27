// The agent parses a pasted `kubeadm join …`/`kubejoin join …` line; the window gets back
// only the fields it may send, and is told plainly about the rest.
import type { JoinRequest, ParsedCommandLine, UiJoinRequest } from '../agent/contract/index.js';
import { redactText } from './redact.js';

export type EngineParsed = { ok: true; request: JoinRequest; warnings: string[] } | { ok: false; error: string };

const PATH_FIELDS = ['certDir', 'kubeconfigOut'] as const;

export function toUiParsed(parsed: EngineParsed): ParsedCommandLine {
  // Messages about the line go on screen: scrub anything shaped like a token from them.
  if (!parsed.ok) return { ok: false, error: redactText(parsed.error, []) };
  const { request } = parsed;
  if (request.discoveryFile !== undefined) {
    return { ok: false, error: 'this line discovers the cluster from a file (--discovery-file): use the kubejoin CLI for that' };
  }
  const warnings = parsed.warnings.map((w) => redactText(w, []));
  for (const field of PATH_FIELDS) {
    if (request[field] !== undefined) warnings.push(`${field} from the pasted line is ignored: the desktop app chooses where credentials go`);
  }
  const ui: UiJoinRequest = {};
  if (request.endpoint !== undefined) ui.endpoint = request.endpoint;
  if (request.token !== undefined) ui.token = request.token;
  if (request.tlsBootstrapToken !== undefined) ui.tlsBootstrapToken = request.tlsBootstrapToken;
  if (request.caCertHashes !== undefined) ui.caCertHashes = [...request.caCertHashes];
  if (request.unsafeSkipCaVerification !== undefined) ui.unsafeSkipCaVerification = request.unsafeSkipCaVerification;
  if (request.nodeName !== undefined) ui.nodeName = request.nodeName;
  if (request.store !== undefined) ui.store = request.store;
  if (request.proxy !== undefined) ui.proxy = request.proxy;
  return { ok: true, request: ui, warnings };
}
