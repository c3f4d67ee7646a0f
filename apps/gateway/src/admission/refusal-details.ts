// The details of the door's two load refusals, the same from the HTTP listener and the dispatcher.

/** The detail of an `overloaded` refusal. */
export function overloadedDetail(inflight: number): string {
  return `${inflight} requests in flight: this gateway's limit (or your share of it) is taken`;
}

/** The detail of a `deadlineUnreachable` refusal. */
export function deadlineDetail(queueDelayMs: number, timeoutMs: number): string {
  return `requests wait about ${Math.round(queueDelayMs)} ms before a processor takes them; the deadline is ${Math.max(0, Math.round(timeoutMs))} ms away`;
}
