export type IdempotencyKeyResult =
  | { readonly ok: true; readonly key?: string }
  | { readonly ok: false; readonly detail: string };

const KEY = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;

export const IDEMPOTENCY_KEY_RULE = '1 to 255 visible ASCII characters without " or \\, optionally in double quotes';

/**
 * Reads the Idempotency-Key header: a structured-field string as the IETF httpapi draft writes
 * it (`"8e03978e-…"`) or the bare value as Stripe's clients send it. Sent twice → refused.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): IdempotencyKeyResult {
  if (header === undefined) return { ok: true };
  if (Array.isArray(header) && header.length !== 1) return { ok: false, detail: 'send one Idempotency-Key header' };
  const raw = (Array.isArray(header) ? header[0]! : header).trim();
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  return KEY.test(key) ? { ok: true, key } : { ok: false, detail: `Idempotency-Key must be ${IDEMPOTENCY_KEY_RULE}` };
}
