import { ProtocolError } from './protocol-error';

/**
 * Instance status records (the console's feed): every processor and gateway writes one about
 * every second to the compacted `<prefix>status` topic, keyed `<app>/<instance>`, and a tombstone
 * when it shuts down. Counters are cumulative since the instance started (readers compute rates
 * from two records of one instance) and equal what the instance's `/metrics` reports, since both
 * are read from its one metrics registry.
 */

/** The wire format's version; a reader skips records of a version it does not know. */
export const STATUS_VERSION = 1;
/** How often an instance writes its record. */
export const STATUS_INTERVAL_MS = 1_000;
/**
 * A record older than this is a crashed instance's (a clean shutdown writes a tombstone): readers
 * stop showing it. Ten intervals ride out a slow Kafka or a long GC pause.
 */
export const STATUS_MAX_AGE_MS = 10_000;

export type StatusApp = 'processor' | 'gateway';

/**
 * A histogram as Prometheus keeps it: `counts[i]` observations at most `bounds[i]` seconds
 * (cumulative; the record's `bounds`), plus the sum and count of all observations. `counts` stops
 * at the first bucket holding every observation: the missing ones equal `count`.
 */
export interface StatusHistogram {
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** Observations at most `bounds[i]`, whether or not the record spelled that bucket out. */
export function cumulativeCount(histogram: StatusHistogram, i: number): number {
  return histogram.counts[i] ?? histogram.count;
}

/** A step of a job as `GET /topology` describes it (libs/stream `TopologyNode`); kinds may grow (e.g. `script`). */
export interface StatusNode {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly [detail: string]: unknown;
}

/** A partition a processor owns in one of its consumers. */
export interface StatusPartition {
  readonly partition: number;
  /** Records between the group's committed offset and the partition's end (sampled every 2 s). */
  readonly lag?: number;
  /** Paused because its queue is full (backpressure; the shared requests lane only). */
  readonly paused?: boolean;
  /** Wall clock minus the partition's event-time watermark, seconds (windowed jobs). */
  readonly watermarkLagSeconds?: number;
}

/** One consumer of a processor: the shared requests topic (`requests`) or a keyed job's own. */
export interface StatusLane {
  readonly name: string;
  readonly topic: string;
  readonly partitions: readonly StatusPartition[];
}

export interface StatusOperator {
  readonly in: number;
  readonly out: number;
  readonly duration?: StatusHistogram;
}

export interface StatusJob {
  readonly name: string;
  /** The lane whose partitions feed this job. */
  readonly lane: string;
  readonly nodes: readonly StatusNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  /** By operator name (the `operator` label of flowgate_processor_operator_records_total). */
  readonly operators: Readonly<Record<string, StatusOperator>>;
  /** Request records by route and result (processed, failed, rejected, expired). */
  readonly routes: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Handler duration per route. */
  readonly routeDurations: Readonly<Record<string, StatusHistogram>>;
  /** Records written by topic, without the prefix (keyed jobs). */
  readonly outputs: Readonly<Record<string, number>>;
  /** Batches made durable (exactly-once: transactions) committed and rolled back (keyed jobs). */
  readonly commits: { readonly committed: number; readonly aborted: number };
  readonly lateEvents: number;
}

/**
 * A hot-swapped script as this processor runs it, from its script metrics (present once the
 * scripts feature exports them): the versions it serves and its calls by version and outcome.
 * Which versions are meant to serve, and the canary's share, are in `<prefix>scripts`.
 */
export interface StatusScript {
  readonly name: string;
  readonly stable?: number;
  readonly canary?: number;
  /** Calls by version, then outcome (ok, rejected, error, budget, memory). */
  readonly calls: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

interface StatusCommon {
  readonly v: typeof STATUS_VERSION;
  readonly app: StatusApp;
  readonly instance: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly updatedAt: number;
  /** Upper bounds (seconds) of every histogram's buckets in this record. */
  readonly bounds: readonly number[];
}

export interface ProcessorStatus extends StatusCommon {
  readonly app: 'processor';
  readonly lanes: readonly StatusLane[];
  readonly jobs: readonly StatusJob[];
  /** Records sent to the DLQ, by reason (protocol, handler). */
  readonly deadLetters: Readonly<Record<string, number>>;
  readonly scripts?: readonly StatusScript[];
}

export interface GatewayStatus extends StatusCommon {
  readonly app: 'gateway';
  /** Requests answered by route and HTTP status. */
  readonly requests: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly durations: Readonly<Record<string, StatusHistogram>>;
  readonly inflight: number;
  readonly inflightLimit: number;
  /** 503s without sending, by reason (full, kafka_down, draining). */
  readonly rejections: Readonly<Record<string, number>>;
  readonly timeouts: Readonly<Record<string, number>>;
  readonly replyPartition: number;
  /** The route `POST /event` serves, if any. */
  readonly eventRoute?: string;
}

export type InstanceStatus = ProcessorStatus | GatewayStatus;

/** The record key of an instance: app and instance id, so a restart under a new id is a new key. */
export function statusKey(app: StatusApp, instance: string): string {
  return `${app}/${instance}`;
}

export function encodeStatus(status: InstanceStatus): Buffer {
  return Buffer.from(JSON.stringify(status));
}

/**
 * A status record's value, checked enough that a reader can rely on its shape; null for a
 * tombstone. Throws ProtocolError for a record that is not a status of a known version.
 */
export function decodeStatus(key: string, value: Buffer | string | null): InstanceStatus | null {
  if (value === null || value.length === 0) return null;
  let status: InstanceStatus;
  try {
    status = JSON.parse(value.toString());
  } catch (error) {
    throw new ProtocolError(`status record ${key} is not JSON: ${(error as Error).message}`);
  }
  if (status?.v !== STATUS_VERSION) throw new ProtocolError(`status record ${key} has version ${JSON.stringify(status?.v)}, not ${STATUS_VERSION}`);
  if (status.app !== 'processor' && status.app !== 'gateway') throw new ProtocolError(`status record ${key} is of unknown app ${JSON.stringify((status as { app?: unknown }).app)}`);
  if (typeof status.instance !== 'string' || statusKey(status.app, status.instance) !== key) throw new ProtocolError(`status record ${key} names instance ${JSON.stringify(status.instance)}`);
  if (!Number.isFinite(status.updatedAt) || !Number.isFinite(status.startedAt) || !Array.isArray(status.bounds)) {
    throw new ProtocolError(`status record ${key} lacks startedAt, updatedAt or bounds`);
  }
  const lists = status.app === 'processor' ? [status.jobs, status.lanes] : [];
  if (!lists.every(Array.isArray)) throw new ProtocolError(`status record ${key} lacks jobs or lanes`);
  return status;
}
