import { KubejoinError } from '../errors.js';
import { isTlsVerificationCode } from '../transport/http.js';

// Turning API failures into sentences an operator can act on. A 403 names the verb, the
// resource, the namespace and the identity that was refused, so the operator knows which
// permission to grant to whom. Pure.

/** What a call was about to do, for its error message. */
export interface ApiOp {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'delete';
  /** Plural resource, with its group for non-core ones: `secrets`, `clusterrolebindings.rbac.authorization.k8s.io`. */
  resource: string;
  /** Absent for cluster-scoped resources. */
  namespace?: string;
  name?: string;
}

/** The parts of a client-node ApiException (or a node-fetch FetchError) that matter here. */
export interface ApiFailure {
  /** HTTP status, when the server answered. */
  status?: number;
  /** The response body (a Status object, as JSON text). */
  body?: string;
  /** A transport error code (ECONNREFUSED, CERT_HAS_EXPIRED, …). */
  code?: string;
  message: string;
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { message?: string }[] };
}

/** Reads a thrown value from client-node as an ApiFailure without importing its classes. */
export function apiFailureOf(err: unknown): ApiFailure {
  const e = (err ?? {}) as { code?: unknown; body?: unknown; message?: unknown; errno?: unknown; cause?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.code === 'number') {
    const body = typeof e.body === 'string' ? e.body : e.body === undefined ? undefined : JSON.stringify(e.body);
    return body === undefined ? { status: e.code, message } : { status: e.code, body, message };
  }
  const code = typeof e.code === 'string' ? e.code : typeof e.errno === 'string' ? e.errno : undefined;
  return code === undefined ? { message } : { code, message };
}

export function statusOf(failure: ApiFailure): StatusBody {
  if (!failure.body) return {};
  try {
    const parsed: unknown = JSON.parse(failure.body);
    return parsed && typeof parsed === 'object' ? (parsed as StatusBody) : {};
  } catch {
    return {};
  }
}

/** The user named in an authorizer's refusal: `... User "alice" cannot list ...`. */
export function identityInMessage(message: string | undefined): string | undefined {
  return /\bUser "([^"]*)" cannot\b/.exec(message ?? '')?.[1];
}

export function where(op: ApiOp): string {
  return op.namespace === undefined ? '(cluster-wide)' : `in namespace ${op.namespace}`;
}

function target(op: ApiOp): string {
  return op.name === undefined ? op.resource : `${op.resource} ${JSON.stringify(op.name)}`;
}

/** `denied: <verb> <resource> in namespace <ns> as <identity>`. */
export function deniedMessage(op: ApiOp, identity: string): string {
  return `denied: ${op.verb} ${op.resource} ${where(op)} as ${identity}`;
}

/**
 * The KubejoinError for a failed call. `identity` is who the server saw (from a
 * SelfSubjectReview or the kubeconfig), used when the refusal itself does not name the user.
 */
export function describeApiError(failure: ApiFailure, op: ApiOp, server: string, identity?: string): KubejoinError {
  const status = statusOf(failure);
  if (failure.status === 403) {
    const who = identityInMessage(status.message) ?? identity ?? 'the kubeconfig user';
    return new KubejoinError('invalid-input', deniedMessage(op, who), {
      hint: `Use a kubeconfig whose user may ${op.verb} ${op.resource} ${where(op)} (for example a cluster-admin), or grant it through RBAC.`,
    });
  }
  if (failure.status === 401) {
    return new KubejoinError('invalid-input', `the API server at ${server} did not accept the kubeconfig's credentials (401 Unauthorized)`, {
      hint: 'Check the user of the selected context (expired token or certificate, or a kubeconfig for another cluster).',
    });
  }
  if (failure.status !== undefined) {
    const why = status.message ?? failure.message;
    return new KubejoinError('internal', `could not ${op.verb} ${target(op)} ${where(op)}: ${why} (HTTP ${failure.status})`);
  }
  if (isTlsVerificationCode(failure.code)) {
    return new KubejoinError('untrusted-cluster', `the API server at ${server} could not be verified: ${failure.message}`, {
      hint: "Check the cluster's certificate-authority(-data) in the kubeconfig.",
    });
  }
  if (failure.code === 'ETIMEDOUT') {
    return new KubejoinError('timeout', `the API server at ${server} did not answer: ${failure.message}`);
  }
  return new KubejoinError('timeout', `cannot reach the API server at ${server}: ${failure.message}`, {
    hint: 'Check that the server in the kubeconfig is up and reachable from here.',
  });
}
