/**
 * Kafka or Redis refused this process: wrong credentials, a server certificate it does not trust,
 * or an ACL that does not allow what it needs. Waiting does not fix any of these, so an app that
 * meets one at boot stops with `message` (one line, naming the user and the setting to check,
 * never a secret) instead of retrying or printing a stack. It lives here because, like a
 * `ConfigError`, it means a setting is wrong.
 */
export class AccessError extends Error {
  readonly retriable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessError';
  }
}

// Node's TLS verification failures (tls.TLSSocket's authorizationError codes).
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The TLS verification failure in `error` or its causes (kafkajs wraps the socket's error in its
 * own errors, `cause` or `originalError`), as `<what>` reads in a sentence, or undefined.
 */
export function untrustedCertificate(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code)) return `${e.message.replace(/^Connection error: /, '')} (${code})`;
    e = e.cause ?? (e as { originalError?: unknown }).originalError;
  }
  return undefined;
}
