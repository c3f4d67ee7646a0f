import type Redis from 'ioredis';
import { ADMIT, COMPLETE, EXPIRE_ONE, FORGET, SWEEP } from './registry-scripts';

export type RequestStatus = 'pending' | 'succeeded' | 'failed' | 'timed_out';

/** A request in the registry, as stored. */
export interface RegistryEntry {
  readonly id: string;
  readonly status: RequestStatus;
  readonly route: string;
  readonly deadline: number;
  readonly created: number;
  /** When the outcome was recorded or the request timed out. */
  readonly finished?: number;
  /** The processor's HTTP status, content type and body (JSON text), once done. */
  readonly code?: number;
  readonly contentType?: string;
  readonly body?: string;
  /** Who timed it out: `gateway` (the caller's) or `sweeper`. */
  readonly reason?: string;
  /** Results that arrived after the timeout. */
  readonly lateResults: number;
  /** Who made the request (the gateway's authenticated caller id); absent when anonymous. */
  readonly callerId?: string;
  /** The handle it was admitted with, if any. */
  readonly handle?: string;
}

export interface AdmitRequest {
  readonly id: string;
  readonly route: string;
  readonly gateway: string;
  readonly deadline: number;
  /** `async` (202 caller) or `sync` (a caller waits on the connection). */
  readonly mode: 'sync' | 'async';
  /** The authenticated caller; undefined for the anonymous one. Scopes the idempotency key. */
  readonly callerId?: string;
  /** An unguessable name the result can be fetched by (`getByHandle`), for anonymous callers. */
  readonly handle?: string;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
}

export type AdmitVerdict =
  | { readonly kind: 'new' }
  /** The request id is already registered. */
  | { readonly kind: 'duplicate' }
  /** The idempotency key belongs to `id`, sent with another body. */
  | { readonly kind: 'conflict'; readonly id: string }
  /** The idempotency key belongs to `id`, same body: answer with its outcome. */
  | { readonly kind: 'replay'; readonly id: string };

export interface ProcessorOutcome {
  readonly status: 'succeeded' | 'failed';
  readonly code: number;
  readonly contentType: string;
  readonly body: string;
}

/** What recording an outcome did: `late` when the request had timed out already. */
export type CompleteVerdict = 'recorded' | 'late' | 'again' | 'unknown';

/** A timed-out request whose record on the timeouts topic is due. */
export interface TimeoutRecord {
  readonly id: string;
  readonly route: string;
  readonly deadline: number;
  readonly timedOutAt: number;
  readonly reason: string;
}

export interface RequestRegistryOptions {
  /** Prefix of every key (the topic prefix, so colours do not share requests). */
  readonly prefix: string;
  readonly resultTtlS: number;
  readonly idempotencyTtlS: number;
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

/**
 * The durable registry of requests whose outcome must outlive a connection (async calls and
 * idempotent ones), in Redis: one hash per request, a sorted set of pending deadlines, one hash
 * per idempotency key, and an outbox of timeout records not yet on Kafka. Every transition is a
 * Lua script, so each request ends in exactly one recorded outcome whoever races for it.
 */
export class RequestRegistry {
  private readonly scripts: Record<'admit' | 'forget' | 'complete' | 'expireOne' | 'sweep', Script>;
  private readonly deadlinesKey: string;
  private readonly outboxKey: string;

  constructor(private readonly redis: Redis, private readonly options: RequestRegistryOptions) {
    this.deadlinesKey = `${options.prefix}registry:deadlines`;
    this.outboxKey = `${options.prefix}registry:timeouts-outbox`;
    this.scripts = {
      admit: define(redis, 'fgRegistryAdmit', 4, ADMIT),
      forget: define(redis, 'fgRegistryForget', 3, FORGET),
      complete: define(redis, 'fgRegistryComplete', 2, COMPLETE),
      expireOne: define(redis, 'fgRegistryExpireOne', 3, EXPIRE_ONE),
      sweep: define(redis, 'fgRegistrySweep', 2, SWEEP),
    };
  }

  async admit(request: AdmitRequest, now = Date.now()): Promise<AdmitVerdict> {
    const { idempotency } = request;
    const requestKey = this.requestKey(request.id);
    // Kept until the deadline plus the result's lifetime, whatever happens to the sweepers.
    const pendingTtlMs = Math.max(1, request.deadline - now) + this.options.resultTtlS * 1000;
    const [kind, id] = (await this.scripts.admit(
      requestKey, this.deadlinesKey, idempotency ? this.idempotencyKey(idempotency.key, request.callerId) : requestKey,
      request.handle === undefined ? requestKey : this.handleKey(request.handle),
      request.id, request.route, request.gateway, request.deadline, now, pendingTtlMs,
      idempotency?.fingerprint ?? '', this.options.idempotencyTtlS, idempotency ? 1 : 0, this.requestKey(''), request.mode,
      request.callerId ?? '', request.handle === undefined ? 0 : 1,
    )) as [AdmitVerdict['kind'], string];
    return kind === 'conflict' || kind === 'replay' ? { kind, id } : { kind };
  }

  /** Undoes `admit` for a request Kafka never accepted, so a retry is processed. */
  async forget(id: string, idempotency?: { readonly key: string; readonly callerId?: string }): Promise<void> {
    const requestKey = this.requestKey(id);
    await this.scripts.forget(
      requestKey, this.deadlinesKey, idempotency ? this.idempotencyKey(idempotency.key, idempotency.callerId) : requestKey,
      id, idempotency ? 1 : 0,
    );
  }

  async complete(id: string, outcome: ProcessorOutcome, now = Date.now()): Promise<CompleteVerdict> {
    return (await this.scripts.complete(
      this.requestKey(id), this.deadlinesKey,
      id, outcome.status, outcome.code, outcome.contentType, outcome.body, now, this.options.resultTtlS,
    )) as CompleteVerdict;
  }

  /** The caller's deadline passed: `timed_out` unless an outcome is there; returns the entry. */
  async expire(id: string, now = Date.now()): Promise<RegistryEntry | undefined> {
    const fields = (await this.scripts.expireOne(
      this.requestKey(id), this.deadlinesKey, this.outboxKey, id, now, this.options.resultTtlS,
    )) as string[];
    return toEntry(id, pairs(fields));
  }

  /**
   * One sweep: times out up to `batch` requests past their deadline and claims up to `batch`
   * timeout records for `claimMs` (call `published` once they are on Kafka).
   */
  async sweep(now: number, batch: number, claimMs: number): Promise<{ expired: number; due: TimeoutRecord[] }> {
    const [expired, ...rest] = (await this.scripts.sweep(
      this.deadlinesKey, this.outboxKey, now, batch, claimMs, this.requestKey(''), this.options.resultTtlS,
    )) as [number, ...string[]];
    const due: TimeoutRecord[] = [];
    for (let i = 0; i + 4 < rest.length; i += 5) {
      const [id, route, deadline, finished, reason] = rest.slice(i, i + 5) as [string, string, string, string, string];
      due.push({ id, route, deadline: Number(deadline), timedOutAt: Number(finished), reason: reason || 'sweeper' });
    }
    return { expired, due };
  }

  async published(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.zrem(this.outboxKey, ...ids);
  }

  async get(id: string): Promise<RegistryEntry | undefined> {
    return toEntry(id, await this.redis.hgetall(this.requestKey(id)));
  }

  /** The request admitted with `handle`, if it is still kept. */
  async getByHandle(handle: string): Promise<RegistryEntry | undefined> {
    const id = await this.redis.get(this.handleKey(handle));
    return id === null ? undefined : this.get(id);
  }

  /** Requests waiting for an outcome, and timeout records not yet on Kafka. */
  async sizes(): Promise<{ pending: number; outbox: number }> {
    const [pending, outbox] = await Promise.all([this.redis.zcard(this.deadlinesKey), this.redis.zcard(this.outboxKey)]);
    return { pending, outbox };
  }

  private requestKey(id: string): string {
    return `${this.options.prefix}req:${id}`;
  }

  /**
   * One namespace of keys per caller (the IETF draft and Stripe scope keys to the client): `-` for
   * the anonymous caller, `<length>:<caller id>` for the others, so no caller id and key can spell
   * another caller's entry.
   */
  private idempotencyKey(key: string, callerId: string | undefined): string {
    const scope = callerId === undefined ? '-' : `${callerId.length}:${callerId}`;
    return `${this.options.prefix}idem:${scope}:${key}`;
  }

  private handleKey(handle: string): string {
    return `${this.options.prefix}handle:${handle}`;
  }
}

function define(redis: Redis, name: string, numberOfKeys: number, lua: string): Script {
  redis.defineCommand(name, { numberOfKeys, lua });
  const commands = redis as unknown as Record<string, Script>;
  return (...args) => commands[name]!(...args);
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

function toEntry(id: string, hash: Record<string, string>): RegistryEntry | undefined {
  if (!hash.status) return undefined;
  return {
    id,
    status: hash.status as RequestStatus,
    route: hash.route ?? '',
    deadline: Number(hash.deadline),
    created: Number(hash.created),
    lateResults: Number(hash.lateResults ?? 0),
    ...(hash.finished ? { finished: Number(hash.finished) } : {}),
    ...(hash.code ? { code: Number(hash.code) } : {}),
    ...(hash.contentType ? { contentType: hash.contentType } : {}),
    ...(hash.body !== undefined ? { body: hash.body } : {}),
    ...(hash.reason ? { reason: hash.reason } : {}),
    ...(hash.caller ? { callerId: hash.caller } : {}),
    ...(hash.handleKey ? { handle: hash.handleKey.slice(hash.handleKey.lastIndexOf(':') + 1) } : {}),
  };
}
