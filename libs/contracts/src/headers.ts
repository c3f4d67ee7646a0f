/**
 * Kafka header names of the wire protocol. Values are UTF-8 strings; numbers are decimal.
 * A processor written in another language needs only this file and `envelope.ts`.
 */
export const HEADERS = {
  /** Request id, unique across gateways; also the reply record's key. */
  requestId: 'fg-request-id',
  /** Route name from the registry. */
  route: 'fg-route',
  /** Absolute deadline, epoch milliseconds. Work past it is skipped. */
  deadline: 'fg-deadline',
  /** Partition of the replies topic owned by the gateway holding the connection. */
  replyPartition: 'fg-reply-partition',
  /**
   * `sync`: only the caller's connection waits for the reply. `async`: the outcome is also
   * recorded in the request registry (a 202 caller, or an Idempotency-Key); echoed on the reply.
   */
  replyMode: 'fg-reply-mode',
  /**
   * Who is calling, as the gateway authenticated them (`FLOWGATE_AUTH=api-key`: the caller id of
   * the key file; `jwt`: the configured claim, `sub` by default). Absent when the gateway runs
   * without authentication (`none`). Set only by the gateway, never copied from a client's HTTP
   * headers, so a job may base its own authorisation on it. UTF-8, 1 to 256 characters, no
   * control characters.
   */
  callerId: 'fg-caller-id',
  /** W3C trace context, passed through untouched. */
  traceparent: 'traceparent',
  /** Reply: HTTP status the processor chose. */
  status: 'fg-status',
  /** Reply: `result` or `error`. */
  outcome: 'fg-outcome',
  /** Reply: media type of the value (`application/json` or `application/problem+json`). */
  contentType: 'content-type',
  /**
   * Reply: milliseconds the request record waited before its handler started — in Kafka and in the
   * processor's queue (the processor's clock minus the record's timestamp, so clock skew between
   * hosts shows here; the gateway clamps it to its own round trip). Gateways steer their in-flight
   * limit by it. Optional: a processor that does not stamp it is simply not measured.
   */
  queueMs: 'fg-queue-ms',
  /** Reply: milliseconds the handler ran, from taking the record to its reply. Optional. */
  handleMs: 'fg-handle-ms',
  /** Reply: `<script>@<version>` of the script version that handled the request (route scripts). */
  scriptVersion: 'fg-script-version',
  /** Dead letter: why the record could not be processed. */
  dlqReason: 'fg-dlq-reason',
  /** Dead letter: where the record came from, `topic/partition/offset`. */
  dlqSource: 'fg-dlq-source',
  /** Dead letter of an event: the job that refused it (several jobs may read one topic). */
  dlqJob: 'fg-dlq-job',
  /** Dead letter whose value was cut to fit FLOWGATE_MAX_OUTPUT_BYTES: the original value's length in bytes. */
  dlqTruncated: 'fg-dlq-truncated',
} as const;
