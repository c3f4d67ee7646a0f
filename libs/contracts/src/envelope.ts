import { HEADERS } from './headers';
import { ProtocolError } from './protocol-error';
import { isValidRouteName } from './route-catalog';
import { isValidCallerId, isValidRequestId } from './request-id';

/**
 * Kafka record headers as clients hand them over (kafkajs gives Buffers, accepts strings). A
 * header value may be null on the wire (other clients write it; kafkajs reads it as null).
 */
export type WireHeaders = Record<string, Buffer | string | null | (Buffer | string | null)[] | undefined>;

export type ReplyMode = 'sync' | 'async';

/** Everything a processor needs to know about a request besides its body. */
export interface RequestMeta {
  readonly requestId: string;
  readonly route: string;
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;
  readonly replyPartition: number;
  readonly replyMode: ReplyMode;
  readonly traceparent?: string;
  /** The authenticated caller (`fg-caller-id`); absent for anonymous requests. */
  readonly callerId?: string;
}

export type ReplyOutcome = 'result' | 'error';

export interface ReplyMeta {
  readonly requestId: string;
  readonly status: number;
  readonly outcome: ReplyOutcome;
  readonly contentType: string;
  /** The request's reply mode, echoed: `async` replies are recorded in the request registry. */
  readonly replyMode: ReplyMode;
  /** How long the request waited before its handler started, ms (`fg-queue-ms`); absent if not stamped. */
  readonly queueMs?: number;
  /** How long its handler ran, ms (`fg-handle-ms`); absent if not stamped. */
  readonly handleMs?: number;
}


export function encodeRequestHeaders(meta: RequestMeta): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.requestId]: meta.requestId,
    [HEADERS.route]: meta.route,
    [HEADERS.deadline]: String(meta.deadline),
    [HEADERS.replyPartition]: String(meta.replyPartition),
    [HEADERS.replyMode]: meta.replyMode,
  };
  if (meta.traceparent) headers[HEADERS.traceparent] = meta.traceparent;
  if (meta.callerId !== undefined) headers[HEADERS.callerId] = meta.callerId;
  return headers;
}

/** @throws ProtocolError naming the first missing or malformed header. */
export function decodeRequestHeaders(headers: WireHeaders | undefined): RequestMeta {
  const requestId = required(headers, HEADERS.requestId);
  if (!isValidRequestId(requestId)) throw new ProtocolError(`header ${HEADERS.requestId} is not a valid request id`);
  const route = required(headers, HEADERS.route);
  if (!isValidRouteName(route)) throw new ProtocolError(`header ${HEADERS.route} is not a route name: "${route.slice(0, 80)}"`);
  const replyMode = required(headers, HEADERS.replyMode);
  if (replyMode !== 'sync' && replyMode !== 'async') {
    throw new ProtocolError(`header ${HEADERS.replyMode} must be sync or async`);
  }
  const traceparent = protocolHeader(headers, HEADERS.traceparent);
  const callerId = protocolHeader(headers, HEADERS.callerId);
  if (callerId !== undefined && !isValidCallerId(callerId)) throw new ProtocolError(`header ${HEADERS.callerId} is not a caller id`);
  return {
    requestId,
    route,
    deadline: requiredInt(headers, HEADERS.deadline),
    replyPartition: requiredInt(headers, HEADERS.replyPartition),
    replyMode,
    ...(traceparent ? { traceparent } : {}),
    ...(callerId !== undefined ? { callerId } : {}),
  };
}

/** The headers only a request carries (`traceparent` and `fg-caller-id` may travel on other records). */
const REQUEST_HEADERS = [HEADERS.requestId, HEADERS.route, HEADERS.deadline, HEADERS.replyPartition, HEADERS.replyMode];

/**
 * Whether a record on a topic that holds both requests and plain events (an `events: true` job's
 * topic) is a request: it carries any request header. A request missing some of them is a broken
 * request, to be refused as one, not an event.
 */
export function hasRequestHeaders(headers: WireHeaders | undefined): boolean {
  return REQUEST_HEADERS.some((name) => headers?.[name] !== undefined);
}

export function encodeReplyHeaders(meta: ReplyMeta): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADERS.requestId]: meta.requestId,
    [HEADERS.status]: String(meta.status),
    [HEADERS.outcome]: meta.outcome,
    [HEADERS.contentType]: meta.contentType,
    [HEADERS.replyMode]: meta.replyMode,
  };
  return { ...headers, ...encodeReplyTiming(meta) };
}

/** The timing headers of a reply (`fg-queue-ms`, `fg-handle-ms`), whole non-negative ms; those not given are left out. */
export function encodeReplyTiming(timing: Pick<ReplyMeta, 'queueMs' | 'handleMs'>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (timing.queueMs !== undefined) headers[HEADERS.queueMs] = String(Math.max(0, Math.round(timing.queueMs)));
  if (timing.handleMs !== undefined) headers[HEADERS.handleMs] = String(Math.max(0, Math.round(timing.handleMs)));
  return headers;
}

/** @throws ProtocolError naming the first missing or malformed header. */
export function decodeReplyHeaders(headers: WireHeaders | undefined): ReplyMeta {
  const status = requiredInt(headers, HEADERS.status);
  if (status < 100 || status > 599) throw new ProtocolError(`header ${HEADERS.status} is not an HTTP status`);
  const outcome = required(headers, HEADERS.outcome);
  if (outcome !== 'result' && outcome !== 'error') {
    throw new ProtocolError(`header ${HEADERS.outcome} must be result or error`);
  }
  const queueMs = optionalInt(headers, HEADERS.queueMs);
  const handleMs = optionalInt(headers, HEADERS.handleMs);
  return {
    requestId: required(headers, HEADERS.requestId),
    status,
    outcome,
    contentType: headerString(headers, HEADERS.contentType) ?? 'application/json',
    // Optional on replies: a processor that does not echo it answers sync requests only.
    replyMode: headerString(headers, HEADERS.replyMode) === 'async' ? 'async' : 'sync',
    ...(queueMs === undefined ? {} : { queueMs }),
    ...(handleMs === undefined ? {} : { handleMs }),
  };
}

export function headerString(headers: WireHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === null ? undefined : first.toString();
}

/** Every header as a string (the first value of a repeated one). */
export function headerStrings(headers: WireHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const value = headerString(headers, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function required(headers: WireHeaders | undefined, name: string): string {
  const value = protocolHeader(headers, name);
  if (value === undefined || value === '') throw new ProtocolError(`header ${name} is missing`);
  return value;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `bytes` as UTF-8 text; bytes that are not UTF-8 are refused (`ProtocolError`: "`what` is not
 * UTF-8") rather than decoded with replacement characters, which would turn a broken value into a
 * different, valid-looking one.
 */
export function utf8Text(bytes: Buffer, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (error) {
    // Node's TypeError, checked by code: it may come from another realm than this module's TypeError (jest's sandbox).
    if ((error as { code?: unknown }).code !== 'ERR_ENCODING_INVALID_ENCODED_DATA') throw error;
    throw new ProtocolError(`${what} is not UTF-8`, { cause: error });
  }
}

/**
 * A header of the wire protocol as text. Kafka allows a header twice; the protocol does not:
 * readers that take the first value and readers that take the last would act on different
 * requests. Bytes that are not UTF-8 are refused (`utf8Text`): a broken caller id must not pass.
 */
function protocolHeader(headers: WireHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (Array.isArray(value) && value.length > 1) throw new ProtocolError(`header ${name} appears ${value.length} times`);
  const only = Array.isArray(value) ? value[0] : value;
  if (only === undefined || only === null) return undefined;
  return typeof only === 'string' ? only : utf8Text(only, `header ${name}`);
}

/** A timing header: a malformed one is ignored (the reply itself is fine), never an error. */
function optionalInt(headers: WireHeaders | undefined, name: string): number | undefined {
  const text = headerString(headers, name);
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

function requiredInt(headers: WireHeaders | undefined, name: string): number {
  const text = required(headers, name);
  const value = Number(text);
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(value)) {
    throw new ProtocolError(`header ${name} is not a non-negative integer: "${text}"`);
  }
  return value;
}
