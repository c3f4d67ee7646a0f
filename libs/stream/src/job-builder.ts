import type { RouteName } from '@flowgate/contracts';
import type { Job, KeyedState, Operator, RecordContext, SourceSpec } from './job';

/**
 * Builds a job in one place, so its topology can be printed and drawn. Each step returns a new
 * builder typed by the values flowing at that point.
 *
 * @example
 * const echo = job('echo')
 *   .fromRoute('echo')
 *   .map('add result', (body: Body, ctx) => ({ ...body, result: 'ok', request_timestamp: ctx.timestamp }))
 *   .toReply();
 */
export function job(name: string) {
  return {
    fromRoute: (route: RouteName) => new JobBuilder<Record<string, unknown>>(name, { kind: 'route', route }, []),
    /**
     * Routes that share one request topic (their `topic` in the route registry); with
     * `events: true` the topic's plain events (no request headers) flow through the job too.
     */
    fromRoutes: (routes: RouteName[], options: { events?: boolean } = {}) =>
      new JobBuilder<Record<string, unknown>>(name, { kind: 'routes', routes, events: options.events ?? false }, []),
    fromTopic: (topic: string) => new JobBuilder<unknown>(name, { kind: 'topic', topic }, []),
  };
}

export class JobBuilder<T> {
  constructor(
    private readonly name: string,
    private readonly source: SourceSpec,
    private readonly operators: readonly Operator[],
  ) {}

  /** Transforms each value; `fn` may be async (it runs with the partition's bounded concurrency). */
  map<U>(name: string, fn: (value: T, ctx: RecordContext) => U | Promise<U>): JobBuilder<Awaited<U>> {
    return this.then<Awaited<U>>({ kind: 'map', name, fn: fn as (value: unknown, ctx: RecordContext) => unknown });
  }

  /** Keeps the values `fn` accepts. */
  filter(name: string, fn: (value: T, ctx: RecordContext) => boolean): JobBuilder<T> {
    return this.then<T>({ kind: 'filter', name, fn: fn as (value: unknown, ctx: RecordContext) => boolean });
  }

  /** Turns each value into zero or more values. */
  flatMap<U>(name: string, fn: (value: T, ctx: RecordContext) => Iterable<U>): JobBuilder<U> {
    return this.then<U>({ kind: 'flatMap', name, fn: fn as (value: unknown, ctx: RecordContext) => Iterable<unknown> });
  }

  /** Names the key later operators see in `ctx.key`. */
  keyBy(name: string, fn: (value: T) => string): JobBuilder<T> {
    return this.then<T>({ kind: 'keyBy', name, fn: fn as (value: unknown) => string });
  }

  /**
   * Reads and writes keyed state of the current key (set by `keyBy`) in the named stores.
   * A job with a `process` operator runs partition by partition with its state restored first.
   */
  process<U>(name: string, stores: string[], fn: (value: T, ctx: RecordContext, state: KeyedState) => U): JobBuilder<U> {
    return this.then<U>({ kind: 'process', name, stores, fn: fn as (value: unknown, ctx: RecordContext, state: KeyedState) => unknown });
  }

  /** Each result answers the caller that sent the request (route sources only). */
  toReply(): Job {
    if (this.source.kind === 'topic') throw new Error(`job ${this.name}: only a route source can reply`);
    return { name: this.name, source: this.source, operators: this.operators, sink: { kind: 'reply' } };
  }

  /** Each result is written to `topic`. */
  toTopic(topic: string): Job {
    return { name: this.name, source: this.source, operators: this.operators, sink: { kind: 'topic', topic } };
  }

  private then<U>(operator: Operator): JobBuilder<U> {
    return new JobBuilder<U>(this.name, this.source, [...this.operators, operator]);
  }
}
