import { randomUUID } from 'node:crypto';
import { isValidRequestId, REQUEST_ID_RULE } from '@flowgate/contracts';

export type CallerHeaders = Record<string, string | string[] | undefined>;

export type ParsedHeaders =
  | { readonly ok: true; readonly requestId: string; readonly timeoutMs: number; readonly traceparent?: string }
  | { readonly ok: false; readonly requestId: string; readonly detail: string };

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Reads X-Request-Id, X-Timeout-Ms and traceparent. A bad request id is replaced by a generated
 * one so the error response can still be correlated.
 */
export function parseCallerHeaders(
  headers: CallerHeaders,
  limits: { defaultTimeoutMs: number; maxTimeoutMs: number },
): ParsedHeaders {
  const sentId = single(headers['x-request-id']);
  const requestId = sentId !== undefined && isValidRequestId(sentId) ? sentId : randomUUID();
  if (sentId !== undefined && sentId !== requestId) {
    return { ok: false, requestId, detail: `X-Request-Id must be ${REQUEST_ID_RULE}` };
  }
  const sentTimeout = single(headers['x-timeout-ms']);
  let timeoutMs = limits.defaultTimeoutMs;
  if (sentTimeout !== undefined) {
    timeoutMs = /^\d{1,10}$/.test(sentTimeout.trim()) ? Number(sentTimeout) : NaN;
    if (!(timeoutMs >= 1 && timeoutMs <= limits.maxTimeoutMs)) {
      return { ok: false, requestId, detail: `X-Timeout-Ms must be a whole number from 1 to ${limits.maxTimeoutMs}` };
    }
  }
  // An invalid traceparent is dropped, as W3C Trace Context says, not refused.
  const traceparent = single(headers['traceparent']);
  return {
    ok: true,
    requestId,
    timeoutMs,
    ...(traceparent !== undefined && TRACEPARENT.test(traceparent) ? { traceparent } : {}),
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
