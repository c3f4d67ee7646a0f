import type { RouteDeclaration } from '@flowgate/contracts';
import type { Aggregator, WindowResult } from '../operators/event-time-windows';
import type { AsyncOrder, KeyedLimiter } from '../operators/keyed-limiter';
import type { WindowSpec } from '../operators/window-assigner';

/** Where a job's records come from. */
export type SourceSpec =
  | { readonly kind: 'route'; readonly route: RouteDeclaration }
  /**
   * Several routes sharing one request topic: updates and queries of one job's keyed state.
   * With `events`, the topic also carries plain events (records without request headers).
   */
  | { readonly kind: 'routes'; readonly routes: readonly RouteDeclaration[]; readonly events: boolean }
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
  /** The route name of a request record. */
  readonly route?: string;
  /** Who sent a request record, as the gateway authenticated them (`fg-caller-id`); absent when anonymous. */
  readonly callerId?: string;
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

/**
 * Runs step scripts (`.script(name)`) for the stream runtime: the processor supplies one backed by
 * its sandboxes and the active versions, so a job's rule changes without the job restarting.
 * The result maps like the step's DSL says: `null`/`undefined` drops the value, an array flows on
 * element by element, anything else flows on as one value. A rejection fails the record.
 */
export interface ScriptSteps {
  /**
   * Calls the active version of `script` on one value. `state` and `emit` are there when the job
   * runs with keyed state (every job on a topic of its own does): `state` holds the current key's
   * entries in the step's stores, `emit` (also `state.emit`) writes into the batch's commit.
   * Emitted topics are full topic names (with the prefix), one of the step's `emits`; anything
   * else throws and fails the record.
   */
  run(script: string, value: unknown, ctx: RecordContext, state?: KeyedState, emit?: KeyedState['emit']): Promise<unknown>;
}

/** A `.script(name)` step: a hot-swapped script, run by the processor's ScriptSteps. */
export interface ScriptOperator {
  readonly kind: 'script';
  /** The step's name (metrics, topology); the script's name unless given. */
  readonly name: string;
  /** The script it runs: whatever version is active when a record reaches the step. */
  readonly script: string;
  /** Stores of the job's keyed state the script may read and write (the key's entries); none: a stateless step. */
  readonly stores: readonly string[];
  /** Topics the script may emit to (full names), created with the job's other topics. */
  readonly emits: readonly string[];
}

/** A window step and the aggregate it feeds: one operator at run time, since the windows are its state. */
export interface WindowOperator {
  readonly kind: 'window';
  /** The aggregate's name; also the name of its state store. */
  readonly name: string;
  readonly window: WindowSpec;
  /** Event time of a value, epoch ms; it may throw a RouteError for a value without one. */
  readonly eventTime: (value: unknown, ctx: RecordContext) => number;
  readonly allowedLatenessMs: number;
  readonly retainMs: number;
  /** Topic that gets each late event (with `windowStart`), keyed like the job; counted either way. */
  readonly lateTo?: string;
  readonly aggregator: Aggregator<unknown, unknown>;
  /** Requests of these routes read the key's windows instead of adding to them; `answer` is the reply. */
  readonly query?: { readonly routes: readonly string[]; readonly answer: (key: string, windows: WindowResult<unknown>[]) => unknown };
}

export type Operator =
  | { readonly kind: 'map'; readonly name: string; readonly fn: (value: unknown, ctx: RecordContext) => unknown }
  | {
      readonly kind: 'mapAsync';
      readonly name: string;
      readonly fn: (value: unknown, ctx: RecordContext) => Promise<unknown>;
      readonly concurrency: number;
      readonly ordered: AsyncOrder;
      /** Shared by every record the step sees in this process: the bound holds across partitions. */
      readonly limiter: KeyedLimiter;
    }
  | { readonly kind: 'filter'; readonly name: string; readonly fn: (value: unknown, ctx: RecordContext) => boolean }
  | { readonly kind: 'flatMap'; readonly name: string; readonly fn: (value: unknown, ctx: RecordContext) => Iterable<unknown> }
  | { readonly kind: 'keyBy'; readonly name: string; readonly fn: (value: unknown, ctx: RecordContext) => string }
  | {
      readonly kind: 'process';
      readonly name: string;
      readonly stores: readonly string[];
      readonly fn: (value: unknown, ctx: RecordContext, state: KeyedState) => unknown;
    }
  | ScriptOperator
  | WindowOperator;

/** A job: one source, a chain of operators, one sink. Built with `job()`, run by the stream runtime. */
export interface Job {
  readonly name: string;
  readonly source: SourceSpec;
  readonly operators: readonly Operator[];
  readonly sink: SinkSpec;
}

/** Whether a job keeps keyed state (and so runs partition by partition, restored, committed per batch). */
export function isKeyed(job: Job): boolean {
  return job.operators.some((op) => op.kind === 'process' || op.kind === 'window' || (op.kind === 'script' && op.stores.length > 0));
}

/** The routes a job serves (none for a topic source). */
export function jobRoutes(job: Job): readonly RouteDeclaration[] {
  if (job.source.kind === 'route') return [job.source.route];
  return job.source.kind === 'routes' ? job.source.routes : [];
}

/** Topics a job writes to besides replies: its sink, side outputs and what its scripts may emit (created at boot). */
export function outputTopics(job: Job): string[] {
  const topics = job.operators.flatMap((op) => (op.kind === 'window' && op.lateTo ? [op.lateTo] : op.kind === 'script' ? op.emits : []));
  if (job.sink.kind === 'topic') topics.push(job.sink.topic);
  return [...new Set(topics)];
}
