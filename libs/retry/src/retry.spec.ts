import { retry } from './retry';

/** A step that fails with `errors` in turn, then returns 'done'; it records when each attempt started. */
function flaky(...errors: Error[]) {
  const startedAt: number[] = [];
  const step = async () => {
    startedAt.push(Date.now());
    const error = errors[startedAt.length - 1];
    if (error) throw error;
    return 'done';
  };
  return { step, startedAt };
}
const failures = (n: number) => Array.from({ length: n }, (_, i) => new Error(`failure ${i + 1}`));

/** Settles `promise` while advancing fake time; returns its result or the error it rejected with. */
async function settle<T>(promise: Promise<T>): Promise<T | unknown> {
  const outcome = promise.then((value) => value, (error: unknown) => error);
  await jest.runAllTimersAsync();
  return outcome;
}

describe('retry', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('retries until the step succeeds, pausing by the schedule and repeating its last entry', async () => {
    const { step, startedAt } = flaky(...failures(4));
    expect(await settle(retry(step, { delayMs: [100, 250, 500] }))).toBe('done');
    expect(startedAt).toEqual([0, 100, 350, 850, 1_350]);
  });

  it('gives up after `attempts` with the last error, as thrown', async () => {
    const errors = failures(5);
    const { step, startedAt } = flaky(...errors);
    expect(await settle(retry(step, { attempts: 3, delayMs: 250 }))).toBe(errors[2]);
    expect(startedAt).toEqual([0, 250, 500]);
  });

  it('does not retry an error the predicate calls final', async () => {
    const final = new Error('no such topic');
    const { step, startedAt } = flaky(new Error('leader not available'), final);
    const retriable = (error: unknown) => /leader/.test(String(error));
    expect(await settle(retry(step, { attempts: 20, delayMs: 250, retriable }))).toBe(final);
    expect(startedAt).toEqual([0, 250]);
  });

  it('starts no attempt after `giveUpAt`, but always the first one', async () => {
    const errors = failures(10);
    const { step, startedAt } = flaky(...errors);
    expect(await settle(retry(step, { giveUpAt: 400, delayMs: 200 }))).toBe(errors[2]);
    expect(startedAt).toEqual([0, 200, 400]);

    const late = flaky(...errors);
    expect(await settle(retry(late.step, { giveUpAt: Date.now() - 1, delayMs: 200 }))).toBe(errors[0]);
    expect(late.startedAt).toHaveLength(1);
  });

  it('reports every failure it retries, not the one it gives up on', async () => {
    const errors = failures(3);
    const reported: [unknown, number][] = [];
    await settle(retry(flaky(...errors).step, { attempts: 3, delayMs: 10, onRetry: (error, attempt) => reported.push([error, attempt]) }));
    expect(reported).toEqual([[errors[0], 1], [errors[1], 2]]);
  });

  it('stops when aborted: during a pause, before the first attempt, and after a failed attempt', async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const { step, startedAt } = flaky(...failures(100));
    const outcome = retry(step, { delayMs: 1_000, signal: controller.signal }).catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(1_500);
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(startedAt).toEqual([0, 1_000]);

    const never = flaky();
    expect(await settle(retry(never.step, { delayMs: 10, signal: controller.signal }))).toBe(reason);
    expect(never.startedAt).toEqual([]);

    const midway = new AbortController();
    const once = await settle(
      retry(async () => {
        midway.abort(reason);
        throw new Error('failed while shutting down');
      }, { delayMs: 10_000, signal: midway.signal }),
    );
    expect(once).toBe(reason);
    expect(jest.now()).toBe(1_500);
  });
});
