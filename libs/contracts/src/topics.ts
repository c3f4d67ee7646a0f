export const DEFAULT_TOPIC_PREFIX = 'flowgate.';

export interface TopicNames {
  /** Requests from gateways, keyed by the route's partition key. */
  readonly requests: string;
  /** Replies to gateways; each live gateway owns one partition (its reply slot). */
  readonly replies: string;
  /** Records that could not be processed, with the reason in headers. */
  readonly dlq: string;
  /** One record per request the registry marked `timed_out` (`{"id", "route", "deadline", "timedOutAt", "reason"}`, keyed by id). */
  readonly timeouts: string;
  /**
   * The route catalog (compacted, one partition): key = route name, value = `CatalogEntry` JSON,
   * a tombstone when the route is retired. Processors write it, gateways follow it.
   */
  readonly routes: string;
  /**
   * Script versions and which of them are active (compacted, one partition): keys
   * `version/<name>/<n>` and `active/<name>`, values in `scripts.ts`. Gateways write it through
   * the admin API, processors follow it.
   */
  readonly scripts: string;
  /** One `AuditRecord` per admin action and automatic script decision, keyed by script name. */
  readonly audit: string;
  /**
   * Status of every running processor and gateway (compacted, one partition): key
   * `<app>/<instance>`, value `InstanceStatus` JSON (`status.ts`) about every second, a tombstone
   * at shutdown. The console follows it.
   */
  readonly status: string;
}

/**
 * Topic names under a prefix, so two colours (blue/green) or tenants share one Kafka without
 * sharing work.
 */
export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  return {
    requests: `${prefix}requests`,
    replies: `${prefix}replies`,
    dlq: `${prefix}dlq`,
    timeouts: `${prefix}timeouts`,
    routes: `${prefix}routes`,
    scripts: `${prefix}scripts`,
    audit: `${prefix}audit`,
    status: `${prefix}status`,
  };
}

/** Consumer group names under the same prefix. */
export function groupNames(prefix: string = DEFAULT_TOPIC_PREFIX) {
  return {
    processor: `${prefix}processor`,
    /** One single-member group per reply slot: kafkajs has no manual partition assignment. */
    replySlot: (slot: number) => `${prefix}gateway-reply-slot-${slot}`,
    /** Sweepers share it: they record the outcomes of `async` replies in the registry. */
    resultRecorder: `${prefix}sweeper-results`,
  };
}
