/**
 * kafkajs 2.2.4, its last release, re-arms a timer on every broker connection for as long as the
 * connection lives, once one response has come back: `RequestQueue.scheduleCheckPendingRequests`
 * schedules the next check even when no request is pending and no throttle is in force, with a
 * delay of `throttledUntil (-1) - Date.now()`, which Node turns into 1 ms (and, from Node 24,
 * warns about: TimeoutNegativeWarning). The check re-arms it: about 1000 wake-ups a second per
 * connection, idle or not (tulios/kafkajs#1704, #1751, unreleased fixes in #1755 and #1768).
 *
 * `fixRequestQueueTimer()` replaces that one method with the same logic minus the spin: a check is
 * scheduled only while requests wait (at the throttle's end, or kafkajs's 10 ms interval when
 * they wait for an in-flight slot: a response checks the queue anyway) or a throttle is in force.
 * Applied once per process, before any connection exists: by libs/kafka's `createKafka`, and by the
 * end-to-end specs' own clients.
 */
interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own interval for re-checking a queue that waits for an in-flight slot. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

let fixed = false;

/** The fixed method, exported for its unit test. */
export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && untilUnthrottled <= 0) return;
  const delay = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

export function fixRequestQueueTimer(): void {
  if (fixed) return;
  // kafkajs's internal module: the version is pinned (2.2.4, the last), and the bundles keep
  // kafkajs external, so this is the class its connections use.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike };
  if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue.scheduleCheckPendingRequests not found: kafkajs is not the pinned 2.2.4');
  }
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  fixed = true;
}
