export interface RetryOptions {
  /** Attempts in all, the first included. Without it (and `giveUpAt`) retrying never gives up. */
  readonly attempts?: number;
  /** Epoch ms: no attempt starts after it (the first one always runs). */
  readonly giveUpAt?: number;
  /** The pause after failed attempt n: a fixed delay, or a schedule whose last entry repeats. */
  readonly delayMs: number | readonly number[];
  /** Whether an error is worth another attempt (default: every error is). */
  readonly retriable?: (error: unknown) => boolean;
  /** Ends the retrying: no further attempt starts and `retry` rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called before each pause with the error and the number of the attempt that failed (from 1). */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `step` until it succeeds, pausing between failed attempts. It gives up, rejecting with the
 * last error as thrown, when the error is not retriable, after `attempts`, or when the next
 * attempt would start after `giveUpAt`.
 *
 * @example
 * // A topic created a moment ago may not have its leaders yet: ask again for a while.
 * const offsets = await retry(() => admin.fetchTopicOffsets(topic), { attempts: 40, delayMs: 250 });
 */
export async function retry<T>(step: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { attempts = Infinity, giveUpAt = Infinity, retriable = () => true, signal, onRetry } = options;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await step();
    } catch (error) {
      const delayMs = delayAfter(options.delayMs, attempt);
      if (!retriable(error) || attempt >= attempts || Date.now() + delayMs > giveUpAt) throw error;
      onRetry?.(error, attempt);
      await pause(delayMs, signal);
    }
  }
}

function delayAfter(delayMs: RetryOptions['delayMs'], attempt: number): number {
  if (typeof delayMs === 'number') return delayMs;
  return delayMs[Math.min(attempt, delayMs.length) - 1] ?? 0;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
