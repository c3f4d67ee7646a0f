import type { RouteName } from '@flowgate/contracts';

/** Where a job's records come from. */
export type SourceSpec =
  | { readonly kind: 'route'; readonly route: RouteName }
  /**
   * Several routes sharing one request topic: updates and queries of one job's keyed state.
   * With `events`, the topic also carries plain events (records without request headers).
   */
  | { readonly kind: 'routes'; readonly routes: readonly RouteName[]; readonly events: boolean }
  | { readonly kind: 'topic'; readonly topic: string };

/** Where a job's results go. */
export type SinkSpec = { readonly kind: 'reply' } | { readonly kind: 'topic'; readonly topic: string };

/** What an operator may know about the record it is working on. */
export interface RecordContext {
  /** Request id for route sources; `topic/partition/offset` otherwise. */
  readonly id: string;
  readonly partition: number;
  /** Record timestamp, epoch ms (for route sources: when the gateway accepted the request). */
  readonly timestamp: number;
  /** Absolute deadline for route sources, epoch ms; Infinity otherwise. */
  readonly deadline: number;
  /** The key set by the last keyBy, if any. */
  readonly key?: string;
  /** The route of a request record. */
  readonly route?: RouteName;
}

/**
 * Keyed state as a `process` operator sees it: the current key's value in each named store.
 * Writes become durable with the batch's commit (and, exactly-once, in its transaction).
 */
export interface KeyedState {
  get<V>(store: string): V | undefined;
  put(store: string, value: unknown): void;
  delete(store: string): void;
  /** State of the whole partition rather than of one key (e.g. its watermark). */
  readonly partition: { get<V>(store: string): V | undefined; put(store: string, value: unknown): void };
  /** Writes a record to another topic, in the same commit (transaction) as the state. */
  emit(topic: string, key: string, value: unknown): void;
}

export type Operator =
  | { readonly kind: 'map'; readonly name: string; readonly fn: (value: unknown, ctx: RecordContext) => unknown }
  | { readonly kind: 'filter'; readonly name: string; readonly fn: (value: unknown, ctx: RecordContext) => boolean }
  | { readonly kind: 'flatMap'; readonly name: string; readonly fn: (value: unknown, ctx: RecordContext) => Iterable<unknown> }
  | { readonly kind: 'keyBy'; readonly name: string; readonly fn: (value: unknown) => string }
  | {
      readonly kind: 'process';
      readonly name: string;
      readonly stores: readonly string[];
      readonly fn: (value: unknown, ctx: RecordContext, state: KeyedState) => unknown;
    };

/** A job: one source, a chain of operators, one sink. Built with `job()`, run by the stream runtime. */
export interface Job {
  readonly name: string;
  readonly source: SourceSpec;
  readonly operators: readonly Operator[];
  readonly sink: SinkSpec;
}

/** Whether a job keeps keyed state (and so runs partition by partition, restored, committed per batch). */
export function isKeyed(job: Job): boolean {
  return job.operators.some((op) => op.kind === 'process');
}
