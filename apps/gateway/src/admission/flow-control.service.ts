import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { GatewayConfig } from '@flowgate/config';
import type { GatewayMetrics } from '@flowgate/metrics';
import { GATEWAY_METRICS } from '../gateway.tokens';
import { FlowLimit, type FlowLimitOptions } from './flow-limit';
import { InflightTable } from './inflight-table';

/** How often the limit is recomputed. */
export const FLOW_TICK_MS = 250;
/** The event-loop delay monitor's sampling interval; its readings include it, so it is taken off. */
const LOOP_SAMPLE_MS = 10;

export function flowLimitOptions(config: GatewayConfig): FlowLimitOptions {
  return {
    mode: config.FLOWGATE_INFLIGHT_LIMIT,
    min: Math.min(config.FLOWGATE_MIN_INFLIGHT, config.FLOWGATE_MAX_INFLIGHT),
    max: config.FLOWGATE_MAX_INFLIGHT,
    targetQueueMs: config.FLOWGATE_TARGET_QUEUE_MS,
    targetLoopDelayMs: config.FLOWGATE_TARGET_LOOP_DELAY_MS,
    retryAfterMaxS: config.FLOWGATE_RETRY_AFTER_MAX_S,
  };
}

/**
 * Feeds the gateway's `FlowLimit`: the timing of every reply, and every 250 ms its event-loop
 * delay, the peak of requests in flight and the stall of those still waiting; exports the limit
 * and the signals as metrics. What the door asks — is the deadline reachable, how long should a
 * refused caller wait — it answers from the same measurements.
 */
@Injectable()
export class FlowControl implements OnModuleInit, OnModuleDestroy {
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(GATEWAY_METRICS) private readonly metrics: GatewayMetrics,
    readonly flow: FlowLimit,
    private readonly table: InflightTable,
  ) {
    metrics.inflightLimit.set(flow.limit);
  }

  onModuleInit(): void {
    this.loopDelay.enable();
    this.timer = setInterval(() => this.tick(), FLOW_TICK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.loopDelay.disable();
  }

  /** A reply for a request of this table arrived (before it is delivered). */
  observeReply(requestId: string, queueMs: number | undefined, handleMs: number | undefined): void {
    const pending = this.table.admittedAt(requestId);
    if (pending) this.flow.observeReply(pending.route, pending.at, Date.now(), queueMs, handleMs);
  }

  /** Whether a request with `timeoutMs` to go would wait longer than that in the queue. */
  deadlineUnreachable(timeoutMs: number): boolean {
    return this.flow.deadlineUnreachable(timeoutMs);
  }

  /** Whether requests queue beyond the target now: only then can a deadline be out of reach. */
  get congested(): boolean {
    return this.flow.congested;
  }

  get queueDelayMs(): number {
    return this.flow.queueDelayMs;
  }

  /** Retry-After for a refusal now, seconds. */
  retryAfterSeconds(): number {
    return this.flow.retryAfterSeconds(this.table.size);
  }

  private tick(): void {
    const now = Date.now();
    // An idle loop reads ~10.1 ms: the sampling interval itself, not a delay.
    const loopDelayMs = this.loopDelay.count === 0 ? 0 : Math.max(0, this.loopDelay.percentile(90) / 1e6 - LOOP_SAMPLE_MS);
    this.loopDelay.reset();
    this.flow.tick(now, {
      loopDelayMs,
      peakInflight: this.table.takePeak(),
      stalledMs: this.table.stalledMs(now, (route) => this.flow.expectedHandleMs(route)),
    });
    this.metrics.inflightLimit.set(this.flow.limit);
    this.metrics.queueDelay.set(this.flow.queueDelayMs / 1000);
    this.metrics.eventLoopDelay.set(loopDelayMs / 1000);
    this.metrics.replyRate.set(this.flow.replyRate);
  }
}
