import { Inject, Injectable, Logger } from '@nestjs/common';
import { encodeRequestHeaders, ProblemKind, ReplyMode } from '@flowgate/contracts';
import { isTooLarge, kafkaAccessError, recordBytes } from '@flowgate/kafka';
import { Readiness } from '@flowgate/http';
import type { GatewayMetrics } from '@flowgate/metrics';
import { FlowControl } from '../admission/flow-control.service';
import { InflightTable, Outcome, Pending } from '../admission/inflight-table';
import { deadlineDetail, overloadedDetail } from '../admission/refusal-details';
import { GATEWAY_METRICS } from '../gateway.tokens';
import { ReplySlotService } from '../replies/reply-slot.service';
import { GatewayKafka } from './gateway-kafka.service';

export interface DispatchRequest {
  readonly route: string;
  /** The route's request topic (from its declaration in the catalog). */
  readonly topic: string;
  readonly requestId: string;
  /** The JSON body exactly as the caller sent it. */
  readonly body: Buffer;
  /** Kafka record key: the route's partition key. */
  readonly key: string;
  /** Absolute deadline, epoch ms: it travels in the record. */
  readonly deadline: number;
  readonly traceparent?: string;
  /** The authenticated caller, sent as `fg-caller-id`; undefined for anonymous requests. */
  readonly callerId?: string;
  /** Who shares in-flight slots fairly (the FLOWGATE_FAIRNESS_HEADER value); '' or undefined: one pool. */
  readonly fairnessKey?: string;
  /** `async`: the reply is also recorded in the registry (default `sync`). */
  readonly replyMode?: ReplyMode;
  /** Called once admitted, so the caller can cancel when its client goes away. */
  readonly onAdmitted: (pending: Pending) => void;
}

export interface WaitOptions {
  /** Stop waiting for the reply at this time, before the deadline: the outcome is then `timeout`. */
  readonly waitUntil?: number;
}

export interface Rejection {
  readonly kind: 'rejected';
  readonly problem: ProblemKind;
  readonly detail: string;
  readonly retryAfterS?: number;
}

export type DispatchResult = Outcome | Rejection;

/**
 * The request path: admit into the in-flight table, put the request on Kafka, wait for the reply,
 * the deadline or the caller leaving, whichever comes first. Refuses fast (503) when it cannot
 * succeed: table full (for this caller's share), deadline out of reach at the current queueing
 * delay, Kafka down, no reply partition, or shutting down.
 */
@Injectable()
export class RequestDispatcher {
  private readonly logger = new Logger(RequestDispatcher.name);
  private draining = false;

  constructor(
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    private readonly table: InflightTable,
    private readonly flow: FlowControl,
    private readonly kafka: GatewayKafka,
    private readonly replies: ReplySlotService,
    readiness: Readiness,
  ) {
    // Not ready while draining, so load balancers stop sending before the listener closes.
    readiness.register('accepting', () => !this.draining);
  }

  async dispatch(request: DispatchRequest, options: WaitOptions = {}): Promise<DispatchResult> {
    const refusal = this.refusal() ?? this.deadlineRefusal(request.deadline);
    if (refusal) return refusal;
    const replyPartition = this.replies.partition!;
    const now = Date.now();
    const { deadline } = request;

    const admission = await this.table.admit(request.requestId, Math.min(deadline, options.waitUntil ?? deadline), {
      route: request.route,
      caller: request.fairnessKey ?? '',
    });
    if (admission === 'full') return this.reject('overloaded', overloadedDetail(this.table.size), 'full', this.flow.retryAfterSeconds());
    if (admission === 'closed') return this.reject('shuttingDown', 'the gateway is draining', 'draining', 1);
    if (admission === 'duplicate') {
      return { kind: 'rejected', problem: 'duplicateRequestId', detail: `request ${request.requestId} is already in flight` };
    }
    this.metrics.inflight.set(this.table.size);
    request.onAdmitted(admission);

    const sent = this.produce(request, { deadline, replyPartition, timestamp: now });
    const first = await Promise.race([admission.outcome, sent]);
    const result: DispatchResult = first === 'sent' ? await admission.outcome : first;
    if (first !== 'sent' && first.kind === 'rejected') admission.cancel();
    this.metrics.inflight.set(this.table.size);
    return result;
  }

  /** Puts the request on Kafka without waiting for its reply (async calls): 'sent' once acknowledged. */
  async send(request: Omit<DispatchRequest, 'onAdmitted'>): Promise<'sent' | Rejection> {
    const refusal = this.refusal() ?? this.deadlineRefusal(request.deadline);
    if (refusal) return refusal;
    return this.produce(request, { deadline: request.deadline, replyPartition: this.replies.partition!, timestamp: Date.now() });
  }

  /** Why a request cannot be sent now (draining, Kafka down, no reply partition); undefined if it can. */
  refusal(): Rejection | undefined {
    if (this.draining) return this.reject('shuttingDown', 'the gateway is draining', 'draining', 1);
    if (!this.kafka.connection.health.isUp) {
      return this.reject('kafkaUnavailable', 'Kafka is unreachable; try again shortly', 'kafka_down', 1);
    }
    if (this.replies.partition === undefined) {
      return this.reject('kafkaUnavailable', 'this gateway has no reply partition yet', 'no_reply_partition', 1);
    }
    return undefined;
  }

  /** A refusal when requests now wait in the queue longer than this one's deadline allows; undefined if it can make it. */
  private deadlineRefusal(deadline: number): Rejection | undefined {
    const timeoutMs = deadline - Date.now();
    if (!this.flow.deadlineUnreachable(timeoutMs)) return undefined;
    return this.reject('deadlineUnreachable', deadlineDetail(this.flow.queueDelayMs, timeoutMs), 'deadline', this.flow.retryAfterSeconds());
  }

  /** Refuse new requests; resolves when every pending one has its outcome. */
  drain(): Promise<void> {
    this.draining = true;
    return this.table.drain();
  }

  private async produce(
    request: Omit<DispatchRequest, 'onAdmitted'>,
    meta: { deadline: number; replyPartition: number; timestamp: number },
  ): Promise<'sent' | Rejection> {
    const record = {
      topic: request.topic,
      key: request.key,
      value: request.body,
      timestamp: String(meta.timestamp),
      headers: encodeRequestHeaders({
        requestId: request.requestId,
        route: request.route,
        deadline: meta.deadline,
        replyPartition: meta.replyPartition,
        replyMode: request.replyMode ?? 'sync',
        ...(request.traceparent ? { traceparent: request.traceparent } : {}),
        ...(request.callerId === undefined ? {} : { callerId: request.callerId }),
      }),
    };
    try {
      await this.kafka.connection.send(record);
      return 'sent';
    } catch (error) {
      // An ACL that does not (or no longer) let this gateway write: not an outage, and the caller
      // cannot fix it; the log says who was denied what, the caller only that Kafka refused.
      const denied = kafkaAccessError(error, { user: this.kafka.user, doing: `writing request ${request.requestId} to ${request.topic}` });
      if (denied) {
        this.logger.error(denied.message);
        return this.reject('kafkaUnavailable', 'Kafka refused to take the request: the gateway is not allowed to write it (see the gateway\'s log)', 'kafka_denied', 1);
      }
      // KafkaConnection has already opened the breaker if the cluster is out of reach.
      this.logger.warn(`request ${request.requestId} not sent: ${(error as Error).message}`);
      if (isTooLarge(error)) {
        // FLOWGATE_MAX_BODY_BYTES is above what the topic takes in one record: a retry cannot help.
        return { kind: 'rejected', problem: 'bodyTooLarge', detail: `the request (${recordBytes(record)} bytes with its headers) is larger than Kafka takes in one record (message.max.bytes)` };
      }
      return this.reject('kafkaUnavailable', 'Kafka did not accept the request; try again shortly', 'kafka_down', 1);
    }
  }

  private reject(problem: ProblemKind, detail: string, reason: string, retryAfterS?: number): Rejection {
    this.metrics.admissionRejections.inc({ reason });
    return { kind: 'rejected', problem, detail, ...(retryAfterS === undefined ? {} : { retryAfterS }) };
  }
}
