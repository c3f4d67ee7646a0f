import type { IncomingHttpHeaders } from 'node:http';

/** Why a request's credential was refused; the label of flowgate_gateway_auth_refusals_total. */
export type RefusalReason = 'missing' | 'malformed' | 'unknown_key' | 'invalid_token' | 'expired' | 'unavailable';

export type AuthVerdict =
  | { readonly ok: true; readonly callerId: string }
  | { readonly ok: false; readonly reason: RefusalReason; readonly detail: string };

/**
 * Tells who is calling from a request's headers. One per mode of FLOWGATE_AUTH (`none` has none:
 * every caller is the anonymous one). Details of a refusal go to the caller, so they name what is
 * wrong with the credential and never anything about the keys the gateway holds.
 */
export interface Authenticator {
  authenticate(headers: IncomingHttpHeaders): AuthVerdict | Promise<AuthVerdict>;
  /** The `WWW-Authenticate` value of a 401 (RFC 9110 §11.6.1). */
  challenge(verdict: Extract<AuthVerdict, { ok: false }>): string;
  /** Stops background work (key file polling). */
  close(): void;
}

/**
 * The token of `Authorization: Bearer <token>` (RFC 6750 §2.1): undefined when the header is
 * absent, null when it is there but not a bearer credential.
 */
export function bearerToken(header: string | string[] | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) return null;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match ? match[1]! : null;
}

/** RFC 6750 §3: the scheme, and for a credential that was sent but refused, why. */
export function bearerChallenge(verdict: Extract<AuthVerdict, { ok: false }>): string {
  if (verdict.reason === 'missing') return 'Bearer realm="flowgate"';
  const error = verdict.reason === 'malformed' ? 'invalid_request' : 'invalid_token';
  return `Bearer realm="flowgate", error="${error}"`;
}
