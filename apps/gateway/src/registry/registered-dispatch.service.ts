import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { GatewayConfig } from '@flowgate/config';
import type { GatewayMetrics } from '@flowgate/metrics';
import type { RegistryEntry } from '@flowgate/redis';
import { retry } from '@flowgate/retry';
import type { Outcome } from '../admission/inflight-table';
import { DispatchRequest, DispatchResult, Rejection, RequestDispatcher } from '../dispatch/request-dispatcher.service';
import { GATEWAY_CONFIG, GATEWAY_METRICS } from '../gateway.tokens';
import type { AsyncPreference } from '../http/prefer-header';
import { GatewayRegistry } from './gateway-registry.service';

export interface RegisteredRequest extends DispatchRequest {
  readonly async?: AsyncPreference;
  readonly idempotencyKey?: string;
  /** Set here for anonymous callers: the unguessable name of the result. */
  readonly handle?: string;
}

/** 202: the request is on Kafka; its outcome will be at `location`. */
export interface Accepted {
  readonly kind: 'accepted';
  readonly requestId: string;
  readonly status: RegistryEntry['status'];
  /** `/v1/requests/{request id}` for an authenticated caller, `/v1/requests/{handle}` otherwise. */
  readonly location: string;
}

/** A retry with a known Idempotency-Key: the original request's response. */
export interface Replay {
  readonly kind: 'replay';
  readonly requestId: string;
  readonly result: Extract<Outcome, { kind: 'reply' | 'timeout' }> | Accepted;
}

export type RegisteredResult = DispatchResult | Accepted | Replay;

const POLL_MS = [25, 50, 100, 200];

/**
 * How long an answer that is due — a reply in hand, or the deadline passed — waits for Redis to
 * record it. Past that the caller gets it anyway and a sweeper records the outcome: a stalled
 * Redis must not keep callers beyond their deadline.
 */
export const RECORD_PATIENCE_MS = 1_000;

/** Random bytes of an anonymous request's handle: 192 bits, 32 base64url characters. */
const HANDLE_BYTES = 24;

/** What a handle looks like; anything else is not looked up. */
export const HANDLE = /^[A-Za-z0-9_-]{32}$/;

/** Where a request's outcome can be read: by handle for an anonymous caller, by id otherwise. */
export function statusLocation(requestId: string, handle: string | undefined): string {
  return `/v1/requests/${handle ?? encodeURIComponent(requestId)}`;
}

/** The original request has no outcome yet: look again after a pause. */
class StillPending extends Error {}

/**
 * Requests whose outcome must outlive the connection: `Prefer: respond-async` (202 now, or after
 * `wait=N` seconds without a result) and `Idempotency-Key` (a retry gets the first outcome and is
 * not processed again). Each is admitted into the registry before it goes to Kafka, travels as an
 * `async` request so the sweepers record its reply, and ends in exactly one recorded outcome:
 * whoever reaches the registry first — the reply, this gateway at the deadline, or a sweeper —
 * decides, and the others answer with what it decided.
 */
@Injectable()
export class RegisteredDispatch {
  private readonly logger = new Logger(RegisteredDispatch.name);

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    private readonly dispatcher: RequestDispatcher,
    private readonly registry: GatewayRegistry,
  ) {}

  async dispatch(unnamed: RegisteredRequest): Promise<RegisteredResult> {
    const refusal = this.dispatcher.refusal();
    if (refusal) return refusal;
    // Without an identity, whoever holds the result's address can read it: so the address is a
    // handle nobody can guess (192 random bits), never the caller-chosen request id.
    const request = unnamed.callerId === undefined ? { ...unnamed, handle: randomBytes(HANDLE_BYTES).toString('base64url') } : unnamed;
    const { requestId, idempotencyKey, callerId, handle } = request;
    const now = Date.now();
    const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey, fingerprint: fingerprint(request) };
    let verdict;
    try {
      verdict = await this.registry.admit({
        id: requestId, route: request.route, gateway: this.config.FLOWGATE_INSTANCE_ID,
        deadline: request.deadline, mode: request.async ? 'async' : 'sync', ...(idempotency ? { idempotency } : {}),
        ...(callerId === undefined ? {} : { callerId }), ...(handle === undefined ? {} : { handle }),
      }, now);
    } catch (error) {
      return this.registryDown(error);
    }
    if (verdict.kind !== 'duplicate' && idempotency) {
      this.metrics.idempotency.inc({ result: verdict.kind === 'new' ? 'new' : verdict.kind === 'replay' ? 'replayed' : 'conflict' });
    }
    switch (verdict.kind) {
      case 'duplicate':
        return { kind: 'rejected', problem: 'duplicateRequestId', detail: `request ${requestId} already exists` };
      case 'conflict':
        return {
          kind: 'rejected', problem: 'idempotencyConflict',
          detail: `Idempotency-Key "${idempotencyKey}" was used for request ${verdict.id} with another route or body`,
        };
      case 'replay':
        return { kind: 'replay', requestId: verdict.id, result: await this.originalOutcome(verdict.id, request) };
      case 'new':
        return this.send({ ...request, replyMode: 'async' });
    }
  }

  private async send(request: RegisteredRequest): Promise<RegisteredResult> {
    const { requestId, deadline } = request;
    const waitUntil = request.async ? Date.now() + request.async.waitMs : deadline;
    if (request.async && request.async.waitMs === 0) {
      const sent = await this.dispatcher.send(request);
      if (sent !== 'sent') return this.notSent(request, sent);
      return this.accepted(request);
    }
    const result = await this.dispatcher.dispatch(request, { waitUntil });
    switch (result.kind) {
      case 'rejected':
        return this.notSent(request, result);
      case 'cancelled':
        return result; // the caller left; the sweepers record the reply or time the request out
      case 'reply':
        return this.recorded(requestId, result);
      case 'timeout':
        if (request.async && waitUntil < deadline) return this.accepted(request);
        return this.expired(requestId);
    }
  }

  /** Records the reply before answering, so a retry or a status query right after sees it. */
  private async recorded(requestId: string, reply: Extract<Outcome, { kind: 'reply' }>): Promise<RegisteredResult> {
    try {
      const verdict = await withinPatience(this.registry.complete(requestId, {
        status: reply.status < 400 ? 'succeeded' : 'failed', code: reply.status, contentType: reply.contentType, body: reply.body.toString('utf8'),
      }));
      // A sweeper timed it out a moment before: that is the request's one outcome.
      if (verdict === 'late') return { kind: 'timeout' };
    } catch (error) {
      this.logger.warn(`request ${requestId}: reply not recorded here (a sweeper will): ${(error as Error).message}`);
    }
    return reply;
  }

  /** The deadline passed on this gateway: time the request out unless an outcome beat us to it. */
  private async expired(requestId: string): Promise<RegisteredResult> {
    try {
      const entry = await withinPatience(this.registry.expire(requestId));
      if (entry && (entry.status === 'succeeded' || entry.status === 'failed')) return storedReply(entry);
    } catch (error) {
      this.logger.warn(`request ${requestId}: timeout not recorded here (a sweeper will): ${(error as Error).message}`);
    }
    return { kind: 'timeout' };
  }

  /**
   * A retry's answer: the original's outcome, waited for while it is pending — up to the retry's
   * own deadline (sync) or `wait` (async; without `wait` the 202 comes at once).
   */
  private async originalOutcome(id: string, retryRequest: RegisteredRequest): Promise<Replay['result']> {
    const wait = retryRequest.async;
    const waitUntil = wait ? Date.now() + wait.waitMs : retryRequest.deadline;
    try {
      return await retry(async (): Promise<Replay['result']> => {
        let entry: RegistryEntry | undefined;
        try {
          entry = await this.registry.get(id);
        } catch (error) {
          this.logger.warn(`replay of ${id}: ${(error as Error).message}`);
        }
        const status = entry?.status ?? 'pending';
        const accepted = (): Accepted => ({ kind: 'accepted', requestId: id, status, location: statusLocation(id, entry?.handle) });
        if (entry && (status === 'succeeded' || status === 'failed')) return wait && wait.waitMs === 0 ? accepted() : storedReply(entry);
        if (status === 'timed_out') return wait ? accepted() : { kind: 'timeout' };
        throw new StillPending();
      }, { giveUpAt: waitUntil, delayMs: POLL_MS, retriable: (error) => error instanceof StillPending });
    } catch (error) {
      if (!(error instanceof StillPending)) throw error;
      if (!wait) return { kind: 'timeout' };
      const entry = await this.registry.get(id).catch(() => undefined);
      return { kind: 'accepted', requestId: id, status: 'pending', location: statusLocation(id, entry?.handle) };
    }
  }

  private accepted(request: RegisteredRequest): Accepted {
    this.metrics.asyncAccepted.inc({ route: request.route });
    return { kind: 'accepted', requestId: request.requestId, status: 'pending', location: statusLocation(request.requestId, request.handle) };
  }

  /** Kafka never took the request: drop it from the registry so a retry with the key is processed. */
  private async notSent(request: RegisteredRequest, rejection: Rejection): Promise<Rejection> {
    const { idempotencyKey: key, callerId } = request;
    const idempotency = key === undefined ? undefined : { key, ...(callerId === undefined ? {} : { callerId }) };
    await this.registry.forget(request.requestId, idempotency).catch((error: Error) => {
      this.logger.warn(`request ${request.requestId} not sent and not forgotten: ${error.message}`);
    });
    return rejection;
  }

  private registryDown(error: unknown): Rejection {
    this.logger.warn(`registry unavailable: ${(error as Error).message}`);
    this.metrics.admissionRejections.inc({ reason: 'registry_down' });
    return { kind: 'rejected', problem: 'registryUnavailable', detail: 'async and idempotent requests need Redis, which is out of reach', retryAfterS: 1 };
  }
}

/** `call`, or a rejection once it has taken RECORD_PATIENCE_MS (it may still land later). */
function withinPatience<T>(call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${RECORD_PATIENCE_MS} ms`)), RECORD_PATIENCE_MS);
  });
  call.catch(() => undefined); // a late failure has nobody left to tell
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

/** Same route and same body bytes: the same request. */
function fingerprint(request: RegisteredRequest): string {
  return createHash('sha256').update(request.route).update('\0').update(request.body).digest('hex');
}

function storedReply(entry: RegistryEntry): Extract<Outcome, { kind: 'reply' }> {
  return { kind: 'reply', status: entry.code ?? 200, contentType: entry.contentType ?? 'application/json', body: Buffer.from(entry.body ?? '') };
}
