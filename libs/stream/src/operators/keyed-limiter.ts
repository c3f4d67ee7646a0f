/** `key`: calls for one key run one at a time, in the order they were asked for; `none`: any order. */
export type AsyncOrder = 'key' | 'none';

interface Call {
  readonly key: string | undefined;
  readonly task: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs async calls with at most `concurrency` at once. With `ordered: 'key'`, calls of one key run
 * one after the other in the order `run` was called (so their side effects and results keep the
 * input order), while different keys run side by side; a call waiting for its key takes no slot.
 * Ready calls start first come, first served. `run` queues synchronously: the order of the
 * `run` calls is the order that is kept.
 *
 * @example
 * const limiter = new KeyedLimiter({ concurrency: 8, ordered: 'key' });
 * await Promise.all(events.map((e) => limiter.run(e.user, () => http.post(e))));
 */
export class KeyedLimiter {
  private running = 0;
  /** Calls free to start (their key, if any, has nothing running before them). */
  private readonly ready: Call[] = [];
  /** Per key: the call running or ready, then the ones waiting for it. */
  private readonly byKey = new Map<string, Call[]>();

  constructor(readonly options: { readonly concurrency: number; readonly ordered: AsyncOrder }) {
    if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be a whole number of at least 1, got ${options.concurrency}`);
    }
  }

  /** Calls running now. */
  get active(): number {
    return this.running;
  }

  /** Calls asked for and not yet started. */
  get waiting(): number {
    let waiting = this.ready.length;
    // The head of a key's queue is running or in `ready`; the others wait behind it.
    for (const calls of this.byKey.values()) waiting += calls.length - 1;
    return waiting;
  }

  run<T>(key: string | undefined, task: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const ordered = this.options.ordered === 'key';
      if (ordered && key === undefined) throw new Error('an async step ordered by key needs a key (a keyBy before it)');
      const call: Call = { key: ordered ? key : undefined, task, resolve: resolve as (value: unknown) => void, reject };
      if (call.key === undefined) this.ready.push(call);
      else {
        const calls = this.byKey.get(call.key);
        if (calls) calls.push(call);
        else {
          this.byKey.set(call.key, [call]);
          this.ready.push(call);
        }
      }
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.ready.length > 0) this.start(this.ready.shift()!);
  }

  private start(call: Call): void {
    this.running++;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(call.task());
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(call.resolve, call.reject).finally(() => {
      this.running--;
      if (call.key !== undefined) {
        const calls = this.byKey.get(call.key)!;
        calls.shift();
        if (calls.length > 0) this.ready.push(calls[0]);
        else this.byKey.delete(call.key);
      }
      this.pump();
    });
  }
}
