import { scheduleCheckPendingRequests } from './request-queue-timer';

/** A stand-in with the fields kafkajs's RequestQueue has; the real one is in the e2e spec. */
function queue({ pending = 0, throttledFor = 0 } = {}) {
  const q = {
    throttledUntil: throttledFor > 0 ? Date.now() + throttledFor : -1,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    pending: Array.from({ length: pending }),
    checks: 0,
    checkPendingRequests() {
      q.checks++;
      q.scheduleCheckPendingRequests();
    },
    scheduleCheckPendingRequests,
  };
  return q;
}

describe('the fixed RequestQueue.scheduleCheckPendingRequests', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('schedules nothing when nothing waits and nothing is throttled (kafkajs spun a 1 ms timer here)', () => {
    const q = queue();
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    jest.advanceTimersByTime(1_000);
    expect(q.checks).toBe(0);
  });

  it('checks pending requests every 10 ms until they are sent', () => {
    const q = queue({ pending: 2 });
    q.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(30);
    expect(q.checks).toBe(3);
    q.pending.length = 0;
    jest.advanceTimersByTime(1_000);
    expect(q.checks).toBe(4);
  });

  it('checks once when a throttle ends, pending requests or not', () => {
    const q = queue({ throttledFor: 200 });
    q.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(199);
    expect(q.checks).toBe(0);
    jest.advanceTimersByTime(1);
    expect(q.checks).toBe(1);
    jest.advanceTimersByTime(1_000);
    expect(q.checks).toBe(1);
  });

  it('keeps one timer: a check already scheduled is not doubled', () => {
    const q = queue({ pending: 1 });
    q.scheduleCheckPendingRequests();
    q.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(10);
    expect(q.checks).toBe(1);
  });
});
