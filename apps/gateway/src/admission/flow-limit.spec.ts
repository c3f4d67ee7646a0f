import { FlowLimit, FlowLimitOptions } from './flow-limit';

const OPTIONS: FlowLimitOptions = { mode: 'adaptive', min: 8, max: 1024, targetQueueMs: 20, targetLoopDelayMs: 20, retryAfterMaxS: 30 };
const TICK = 250;

/** A FlowLimit on a fake clock, ticked every 250 ms with the given replies and samples. */
function harness(options: Partial<FlowLimitOptions> = {}) {
  let now = 1_000_000;
  const flow = new FlowLimit({ ...OPTIONS, ...options }, now);
  return {
    flow,
    /** One tick in which `replies` echo replies arrive, each queued `queueMs`. */
    tick({ queueMs = 1, replies = 100, loopDelayMs = 1, peakInflight = flow.limit, stalledMs = 0 } = {}) {
      for (let i = 0; i < replies; i++) flow.observeReply('echo', queueMs + 3, queueMs, 1);
      now += TICK;
      flow.tick(now, { loopDelayMs, peakInflight, stalledMs });
      return flow.limit;
    },
  };
}

describe('FlowLimit', () => {
  it('starts at the maximum and stays there while nothing queues', () => {
    const { flow, tick } = harness();
    expect(flow.limit).toBe(1024);
    for (let i = 0; i < 20; i++) tick();
    expect(flow.limit).toBe(1024);
    expect(flow.pressure).toBeLessThan(0.1);
  });

  it('cuts in proportion to the queueing above target, from what is in use, at most by half a tick', () => {
    const { flow, tick } = harness({ max: 256 });
    // 40 ms of queueing at a 20 ms target: pressure 2, so half of the 200 in use.
    expect(tick({ queueMs: 40, peakInflight: 200 })).toBe(100);
    // 25 ms seen: the estimate falls halfway, to 32.5 ms — pressure 1.625, so 100 / 1.625 → 61.
    expect(tick({ queueMs: 25, peakInflight: 100 })).toBe(61);
    expect(flow.queueDelayMs).toBeCloseTo(32.5);
    // Far above target: never more than half at once.
    expect(tick({ queueMs: 10_000, peakInflight: 61 })).toBe(30);
  });

  it('reads an event-loop delay that lasts two ticks as pressure too, not a single spike', () => {
    const { tick } = harness();
    expect(tick({ loopDelayMs: 100, peakInflight: 600 })).toBe(1024);
    expect(tick({ loopDelayMs: 1, peakInflight: 600 })).toBe(1024);
    expect(tick({ loopDelayMs: 30, peakInflight: 600 })).toBe(1024);
    expect(tick({ loopDelayMs: 45, peakInflight: 600 })).toBe(400);
  });

  it('leaves a limit that is not in play alone: a burst far below it queues, but the limit is not what queues it', () => {
    const { flow, tick } = harness();
    expect(tick({ queueMs: 200, peakInflight: 127 })).toBe(1024);
    expect(flow.pressure).toBe(10);
    // In play from 128 in flight, or half of a smaller limit.
    expect(tick({ queueMs: 200, peakInflight: 128 })).toBe(64);
    expect(tick({ queueMs: 200, peakInflight: 31 })).toBe(64);
    expect(tick({ queueMs: 200, peakInflight: 32 })).toBe(16);
  });

  it('never goes below the minimum or above the maximum', () => {
    const { flow, tick } = harness({ min: 8, max: 64 });
    for (let i = 0; i < 20; i++) tick({ queueMs: 5_000 });
    expect(flow.limit).toBe(8);
    for (let i = 0; i < 200; i++) tick({ queueMs: 0 });
    expect(flow.limit).toBe(64);
  });

  it('recovers to the maximum within seconds once the queue is gone, faster the further below target', () => {
    const { flow, tick } = harness();
    for (let i = 0; i < 10; i++) tick({ queueMs: 200 });
    expect(flow.limit).toBe(8);
    // The smoothed queueing delay halves each tick; once under target the limit grows.
    let ticks = 0;
    while (flow.limit < 1024 && ticks < 200) {
      tick({ queueMs: 0, replies: 100 });
      ticks++;
    }
    expect(flow.limit).toBe(1024);
    expect(ticks * TICK).toBeLessThan(15_000);
    // Growth is gentler near the target: +1 at pressure 0.99.
    const near = harness({ max: 256 });
    near.tick({ queueMs: 40, peakInflight: 200 });
    expect(near.flow.limit).toBe(100);
    near.flow.queueDelayMs = 0;
    expect(near.tick({ queueMs: 19.8, replies: 1 })).toBe(101);
  });

  it('sees a stall through requests still waiting when no reply comes back', () => {
    const { flow, tick } = harness();
    expect(tick({ replies: 0, stalledMs: 2_000, peakInflight: 600 })).toBe(300);
    expect(flow.queueDelayMs).toBe(2_000);
  });

  it('stays fixed in fixed mode but still measures', () => {
    const { flow, tick } = harness({ mode: 'fixed', max: 32 });
    tick({ queueMs: 500 });
    expect(flow.limit).toBe(32);
    expect(flow.queueDelayMs).toBe(500);
    expect(flow.pressure).toBe(25);
  });

  it('does not let a processor clock ahead of the gateway inflate the queueing: it is clamped to the round trip less the handling', () => {
    const { flow, tick } = harness();
    for (let i = 0; i < 10; i++) flow.observeReply('echo', 5, 60_000, 2);
    tick({ replies: 0 });
    expect(flow.queueDelayMs).toBe(3);
  });

  it('remembers the longest handling per route, decaying, so slow routes are not read as queueing', () => {
    const { flow, tick } = harness();
    expect(flow.expectedHandleMs('delay')).toBeUndefined();
    flow.observeReply('delay', 3_010, 5, 3_000);
    tick({ replies: 0 });
    expect(flow.expectedHandleMs('delay')).toBeCloseTo(3_000 * 0.985);
    expect(flow.queueDelayMs).toBe(5);
    for (let i = 0; i < 40; i++) tick({ replies: 0 });
    expect(flow.expectedHandleMs('delay')).toBeLessThan(1_700);
  });

  it('refuses deadlines shorter than the queueing delay', () => {
    const { flow, tick } = harness();
    tick({ queueMs: 800 });
    expect(flow.deadlineUnreachable(500)).toBe(true);
    expect(flow.deadlineUnreachable(800)).toBe(true);
    expect(flow.deadlineUnreachable(801)).toBe(false);
  });

  it('computes Retry-After from the queueing above target and the in-flight backlog at the reply rate, bounded', () => {
    const { flow, tick } = harness();
    // 400 replies per 250 ms = 1600/s: 64 in flight drain in 40 ms; no queueing beyond target.
    tick({ replies: 400, queueMs: 5 });
    expect(flow.replyRate).toBeCloseTo(1_600);
    expect(flow.retryAfterSeconds(64)).toBe(1);
    // 4.5 s of queueing: 5 s (4.48 s above target + 40 ms).
    tick({ replies: 400, queueMs: 4_500 });
    expect(flow.retryAfterSeconds(64)).toBe(5);
    // Nothing drains while requests wait: the bound.
    const stalled = harness();
    stalled.tick({ replies: 0, stalledMs: 100 });
    expect(stalled.flow.retryAfterSeconds(10)).toBe(30);
    expect(stalled.flow.retryAfterSeconds(0)).toBe(1);
  });
});
