// The transport's typed errors. Each names the stage a request was in when it failed, so a
// timeout says what stalled (docs/protocol.md §7): dns, connect, handshake, headers, body.

export type Stage = 'dns' | 'connect' | 'handshake' | 'headers' | 'body';

export const STAGE_WORDS: Readonly<Record<Stage, string>> = {
  dns: 'the host name was not resolved',
  connect: 'no TCP connection was established',
  handshake: 'the TLS handshake did not complete',
  headers: 'the server sent no complete response headers',
  body: 'the response body did not complete',
};

/** Codes of failures worth another attempt: the next connection may well succeed. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'HPE_INVALID_CONSTANT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'EPROTO',
]);

/** A transport failure (no usable HTTP answer): refused, reset, TLS error, a stalled stage. */
export class TransportError extends Error {
  readonly code: string | undefined;
  readonly stage: Stage;
  constructor(message: string, code: string | undefined, stage: Stage, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TransportError';
    this.code = code;
    this.stage = stage;
  }

  /** Worth retrying (until the caller's deadline): not a TLS verification failure nor a size limit. */
  get transient(): boolean {
    if (isTlsVerificationCode(this.code)) return false;
    return this.code === undefined || TRANSIENT_CODES.has(this.code) || this.code === 'ESTALLED' || this.code.startsWith('HPE_');
  }
}

/** A response (or one watch line) larger than its cap; nothing past the cap was buffered. */
export class BodyLimitError extends TransportError {
  readonly limit: number;
  constructor(what: string, limit: number) {
    super(`${what} is larger than the limit of ${formatLimit(limit)}: refusing to read more`, 'ETOOLARGE', 'body');
    this.name = 'BodyLimitError';
    this.limit = limit;
  }
  override get transient(): boolean {
    return false;
  }
}

export function formatLimit(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/** A stage that did not finish in time (its own bound, the request's total, or the caller's deadline). */
export function stalled(stage: Stage, why: string): TransportError {
  return new TransportError(`stalled at ${stage}: ${STAGE_WORDS[stage]} ${why}`, 'ESTALLED', stage);
}

/** Wraps a Node error from stage `stage`. */
export function fromNodeError(err: NodeJS.ErrnoException, stage: Stage): TransportError {
  if (err instanceof TransportError) return err;
  return new TransportError(describeTransportError(err, stage), err.code, stage, err);
}

export function describeTransportError(err: NodeJS.ErrnoException, stage?: Stage): string {
  const at = stage ? ` (at ${stage})` : '';
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
      return `connection reset by the server${at}`;
    default:
      return err.code ? `${err.code}: ${err.message}${at}` : `${err.message}${at}`;
  }
}

/** Node's (OpenSSL's) error codes for a server certificate that failed verification. */
export function isTlsVerificationCode(code: string | undefined): boolean {
  return /CERT|SIGNATURE|ALTNAME|SELF_SIGNED|ISSUER|ERR_TLS|ERR_SSL_|UNVERIFIED/.test(code ?? '');
}

export function isTlsVerificationError(err: TransportError): boolean {
  return isTlsVerificationCode(err.code);
}
