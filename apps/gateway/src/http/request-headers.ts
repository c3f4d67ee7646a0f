import { randomUUID } from 'node:crypto';
import type { GatewayConfig } from '@flowgate/config';
import { isValidRequestId, REQUEST_ID_RULE, type RouteDeclaration } from '@flowgate/contracts';
import { parseIdempotencyKey } from './idempotency-key';
import { AsyncPreference, parsePrefer } from './prefer-header';

export type CallerHeaders = Record<string, string | string[] | undefined>;

export type ParsedHeaders =
  | {
      readonly ok: true;
      readonly requestId: string;
      readonly timeoutMs: number;
      readonly traceparent?: string;
      /** Set when the caller sent `Prefer: respond-async`. */
      readonly async?: AsyncPreference;
      readonly idempotencyKey?: string;
    }
  | { readonly ok: false; readonly requestId: string; readonly detail: string };

export interface HeaderLimits {
  readonly defaultTimeoutMs: number;
  /** Deadline of an async request without X-Timeout-Ms. */
  readonly asyncTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Reads X-Request-Id, X-Timeout-Ms, traceparent, Prefer and Idempotency-Key. A bad request id is
 * replaced by a generated one so the error response can still be correlated.
 */
export function parseCallerHeaders(headers: CallerHeaders, limits: HeaderLimits): ParsedHeaders {
  const sentId = single(headers['x-request-id']);
  const requestId = sentId !== undefined && isValidRequestId(sentId) ? sentId : randomUUID();
  if (sentId !== undefined && sentId !== requestId) {
    return { ok: false, requestId, detail: `X-Request-Id must be ${REQUEST_ID_RULE}` };
  }
  const prefer = parsePrefer(headers['prefer']);
  if (!prefer.ok) return { ok: false, requestId, detail: prefer.detail };
  const idempotency = parseIdempotencyKey(headers['idempotency-key']);
  if (!idempotency.ok) return { ok: false, requestId, detail: idempotency.detail };
  const timeoutMs = timeoutOf(headers['x-timeout-ms'], prefer.async ? limits.asyncTimeoutMs : limits.defaultTimeoutMs, limits.maxTimeoutMs);
  if (timeoutMs === undefined) {
    return { ok: false, requestId, detail: `X-Timeout-Ms must be a whole number from 1 to ${limits.maxTimeoutMs}` };
  }
  // An invalid traceparent is dropped, as W3C Trace Context says, not refused.
  const traceparent = single(headers['traceparent']);
  return {
    ok: true,
    requestId,
    timeoutMs,
    ...(traceparent !== undefined && TRACEPARENT.test(traceparent) ? { traceparent } : {}),
    ...(prefer.async ? { async: prefer.async } : {}),
    ...(idempotency.key === undefined ? {} : { idempotencyKey: idempotency.key }),
  };
}

/** X-Timeout-Ms: `defaultMs` when absent, undefined when it is not a whole number from 1 to `maxMs`. */
export function timeoutOf(header: string | string[] | undefined, defaultMs: number, maxMs: number): number | undefined {
  const sent = single(header);
  if (sent === undefined) return defaultMs;
  const timeoutMs = /^\d{1,10}$/.test(sent.trim()) ? Number(sent) : NaN;
  return timeoutMs >= 1 && timeoutMs <= maxMs ? timeoutMs : undefined;
}

/** The route's deadlines where it declares them, never beyond the gateway's maximum. */
export function timeoutLimits(config: GatewayConfig, route: RouteDeclaration | undefined): HeaderLimits {
  const maxTimeoutMs = Math.min(route?.maxTimeoutMs ?? Infinity, config.FLOWGATE_MAX_TIMEOUT_MS);
  return {
    defaultTimeoutMs: Math.min(route?.defaultTimeoutMs ?? config.FLOWGATE_DEFAULT_TIMEOUT_MS, maxTimeoutMs),
    asyncTimeoutMs: Math.min(config.FLOWGATE_ASYNC_TIMEOUT_MS, maxTimeoutMs),
    maxTimeoutMs,
  };
}

/** The caller's fair-share key: the value of FLOWGATE_FAIRNESS_HEADER (`header`), '' when unset or absent. */
export function fairnessKey(headers: CallerHeaders, header: string): string {
  if (header === '') return '';
  return single(headers[header]) ?? '';
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
