import { RouteDeclaration, routeDeclarationErrors } from '@flowgate/contracts';
import type { Aggregator, WindowResult } from '../operators/event-time-windows';
import type { Job, KeyedState, Operator, RecordContext, SourceSpec } from './job';
import { AsyncOrder, KeyedLimiter } from '../operators/keyed-limiter';
import { checkWindowSpec, WindowSpec } from '../operators/window-assigner';

/** How a window step cuts and closes windows (see `JobBuilder.window`). */
export interface WindowOptions<T> {
  /** The value's event time, epoch ms. Throw a RouteError for a value without a usable one. */
  readonly eventTime: (value: T, ctx: RecordContext) => number;
  /** How far the partition's watermark may pass a window's end before it is final; later events are late. */
  readonly allowedLatenessMs: number;
  /** How long after its end a window stays queryable; at least (and by default) allowedLatenessMs. */
  readonly retainMs?: number;
  /** Side output for late events: `{...event, windowStart}` keyed like the job. Without it they are only counted. */
  readonly lateTo?: string;
}

/** How a script step runs its script (see `JobBuilder.script`). */
export interface ScriptStepOptions {
  /** Stores of the job's keyed state the script reads and writes (needs a keyBy before the step). */
  readonly stores?: readonly string[];
  /** Every topic the script may emit to (full names, e.g. `topic('alerts-sms')`): the processor creates them with the job's topics. */
  readonly emits?: readonly string[];
  /** The step's name in metrics and the topology; the script's name by default. */
  readonly name?: string;
}

/**
 * Checks a route declaration and returns it: a declaration that breaks the rules (the name's
 * alphabet, the limits' ranges...) throws with every problem named.
 *
 * @example
 * const quote = route({ name: 'order-quote', summary: 'Prices an order', keyField: 'customer', topic: 'orders',
 *   bodySchema: { type: 'object', required: ['customer'], properties: { customer: { type: 'string' } } } });
 */
export function route<const R extends RouteDeclaration>(declaration: R): R {
  const errors = routeDeclarationErrors(declaration);
  if (errors.length > 0) throw new Error(`invalid route declaration: ${errors.join('; ')}`);
  return declaration;
}

/**
 * Builds a job in one place, so its topology can be printed and drawn. Each step returns a new
 * builder typed by the values flowing at that point.
 *
 * @example
 * const upper = job('upper')
 *   .fromRoute(route({ name: 'upper', summary: 'Answers with the body upper-cased' }))
 *   .map('upper-case', (body) => ({ ...body, text: String(body.text).toUpperCase() }))
 *   .toReply();
 */
export function job(name: string) {
  return {
    /** Requests of one route: the job's result is the caller's reply (see `toReply`). */
    fromRoute: (declaration: RouteDeclaration) => new JobBuilder<Record<string, unknown>>(name, { kind: 'route', route: route(declaration) }, []),
    /**
     * Routes that share one request topic (the same `topic` in each declaration): updates and
     * queries of one job's keyed state. With `events: true` the topic's plain events (no request
     * headers) flow through the job too.
     */
    fromRoutes: (declarations: RouteDeclaration[], options: { events?: boolean } = {}) => {
      const topics = new Set(declarations.map((d) => route(d).topic));
      if (declarations.length === 0 || topics.size !== 1 || topics.has(undefined)) {
        throw new Error(`job ${name}: the routes of fromRoutes must name one topic of their own in their declarations`);
      }
      return new JobBuilder<Record<string, unknown>>(name, { kind: 'routes', routes: declarations, events: options.events ?? false }, []);
    },
    /** Every record of `topic`, as its JSON value (`T`: what the topic's writers promise to put there). */
    fromTopic: <T = unknown>(topic: string) => new JobBuilder<T>(name, { kind: 'topic', topic }, []),
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

  /**
   * Calls `fn` (Redis, HTTP, a timer...) with at most `concurrency` calls of this step running at
   * once in the process. `ordered: 'key'` keeps the order per key (set by a keyBy before it): a
   * key's calls run one after another in the order its records arrived, other keys meanwhile;
   * `'none'` lets calls overlap and finish in any order. Records arrive in partition order as long
   * as the steps before this one are synchronous.
   */
  mapAsync<U>(
    name: string,
    fn: (value: T, ctx: RecordContext) => Promise<U>,
    options: { concurrency: number; ordered: AsyncOrder },
  ): JobBuilder<U> {
    if (options.ordered === 'key') this.needsKey(`mapAsync '${name}' ordered by key`);
    const limiter = new KeyedLimiter(options);
    return this.then<U>({
      kind: 'mapAsync', name, concurrency: options.concurrency, ordered: options.ordered, limiter,
      fn: fn as (value: unknown, ctx: RecordContext) => Promise<unknown>,
    });
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
  keyBy(name: string, fn: (value: T, ctx: RecordContext) => string): JobBuilder<T> {
    return this.then<T>({ kind: 'keyBy', name, fn: fn as (value: unknown, ctx: RecordContext) => string });
  }

  /**
   * Cuts the stream of each key into event-time windows (`tumbling(size)` or `sliding(size,
   * slide)`), with the partition's watermark (the newest event time it has seen) deciding when a
   * window is final. The aggregate after it keeps one value per key and window as keyed state.
   *
   * @example
   * job('clicks').fromTopic('clicks').keyBy('by user', (c) => c.user)
   *   .window(sliding(60_000, 10_000), { eventTime: (c) => c.ts, allowedLatenessMs: 5_000 })
   *   .aggregate('count', { init: () => 0, add: (n) => n + 1 })
   *   .toTopic('clicks-per-minute');
   */
  window(spec: WindowSpec, options: WindowOptions<T>): WindowedBuilder<T> {
    this.needsKey('a window');
    checkWindowSpec(spec);
    const retainMs = options.retainMs ?? options.allowedLatenessMs;
    if (!Number.isSafeInteger(options.allowedLatenessMs) || options.allowedLatenessMs < 0) {
      throw new RangeError(`job ${this.name}: allowedLatenessMs must be a whole number of ms, at least 0`);
    }
    if (!Number.isSafeInteger(retainMs) || retainMs < options.allowedLatenessMs) {
      throw new RangeError(`job ${this.name}: retainMs must be at least allowedLatenessMs (a window must not go before it is final)`);
    }
    return new WindowedBuilder<T>((operator) => this.then(operator), spec, { ...options, retainMs });
  }

  /**
   * Reads and writes keyed state of the current key (set by `keyBy`) in the named stores.
   * A job with a `process` operator runs partition by partition with its state restored first.
   */
  process<U>(name: string, stores: string[], fn: (value: T, ctx: RecordContext, state: KeyedState) => U): JobBuilder<U> {
    return this.then<U>({ kind: 'process', name, stores, fn: fn as (value: unknown, ctx: RecordContext, state: KeyedState) => unknown });
  }

  /**
   * Runs the active version of the script `script` (uploaded through the admin API, swapped without
   * a restart) on each value. Its result decides what flows on: `null`/`undefined` nothing (a
   * filter), an array each element (a flatMap), anything else that one value (a map). With
   * `stores` the script keeps state per key (as `process` does) and the job runs keyed; its
   * `flowgate.emit` records go out with the batch's commit, to topics named in `emits`.
   *
   * @example
   * job('geofence').fromTopic(topic('vehicle-positions'))
   *   .keyBy('by vehicle', (p) => String(p.vehicle))
   *   .script('geofence-rules', { stores: ['inside'] })   // returns the alarms, [] when nothing changed
   *   .toTopic(topic('alarms'));
   */
  script<U = unknown>(script: string, options: ScriptStepOptions = {}): JobBuilder<U> {
    const stores = [...(options.stores ?? [])];
    const emits = [...(options.emits ?? [])];
    const name = options.name ?? script;
    if (stores.length > 0) this.needsKey(`script step '${name}' with stores`);
    for (const [what, list] of [['stores', stores], ['emits', emits]] as const) {
      if (list.some((entry) => typeof entry !== 'string' || entry.length === 0)) throw new Error(`job ${this.name}: script step '${name}': ${what} must be non-empty strings`);
    }
    return this.then<U>({ kind: 'script', name, script, stores, emits });
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

  private needsKey(what: string): void {
    if (!this.operators.some((op) => op.kind === 'keyBy')) throw new Error(`job ${this.name}: ${what} needs a keyBy before it`);
  }
}

/** A windowed stream, waiting for the aggregate that gives its windows a value. */
export class WindowedBuilder<T> {
  constructor(
    private readonly then: <U>(operator: Operator) => JobBuilder<U>,
    private readonly spec: WindowSpec,
    private readonly options: WindowOptions<T> & { readonly retainMs: number },
  ) {}

  /**
   * Folds each key's values per window with `aggregator`. Downstream flow the windows that became
   * final, each once, keyed by their key. With `query`, requests of those routes are answered from
   * the key's retained windows (their reply is `answer`'s value) instead of being aggregated.
   */
  aggregate<A>(
    name: string,
    aggregator: Aggregator<T, A>,
    options: { query?: { routes: string[]; answer: (key: string, windows: WindowResult<A>[]) => unknown } } = {},
  ): JobBuilder<WindowResult<A>> {
    const { eventTime, allowedLatenessMs, retainMs, lateTo } = this.options;
    return this.then<WindowResult<A>>({
      kind: 'window',
      name,
      window: this.spec,
      eventTime: eventTime as (value: unknown, ctx: RecordContext) => number,
      allowedLatenessMs,
      retainMs,
      ...(lateTo ? { lateTo } : {}),
      aggregator: aggregator as Aggregator<unknown, unknown>,
      ...(options.query ? { query: options.query as { routes: string[]; answer: (key: string, windows: WindowResult<unknown>[]) => unknown } } : {}),
    });
  }
}
