import { randomBytes } from 'node:crypto';
import { AppProcess } from './support/app-process';
import { Cluster } from './support/cluster';
import { HttpResult, post, sleep } from './support/http';

const TOTAL = 300;
const CONCURRENCY = 20;
/** Requests are started no faster than this, so 300 of them spread over ~6 s. */
const PACE_MS = 20;
const TIMEOUT_MS = 8_000;
/** Client-side guard per call: the gateway must have answered by then. */
const CLIENT_GUARD_MS = TIMEOUT_MS + 5_000;
const SHED = ['urn:flowgate:problem:overloaded', 'urn:flowgate:problem:deadline-unreachable'];

type Call =
  | { readonly seq: number; readonly kind: 'response'; readonly res: HttpResult }
  | { readonly seq: number; readonly kind: 'hang' | 'error'; readonly detail: string };

describe('processor crash: SIGKILL mid-load, a new processor takes over, no caller hangs', () => {
  const cluster = new Cluster('proc-crash');
  const run = randomBytes(4).toString('hex');
  let gateway: AppProcess;
  let first: AppProcess;

  beforeAll(async () => {
    first = await cluster.start('processor');
    gateway = await cluster.start('gateway');
  });
  afterAll(() => cluster.stopAll());

  async function call(seq: number): Promise<Call> {
    const route = seq % 2 === 0 ? 'echo' : 'delay';
    const body = route === 'delay' ? { ms: 200, seq, run } : { seq, run };
    const controller = new AbortController();
    const guard = setTimeout(() => controller.abort(), CLIENT_GUARD_MS);
    try {
      const res = await post(`${gateway.url}/v1/${route}`, body, { 'x-timeout-ms': String(TIMEOUT_MS) }, controller.signal);
      return { seq, kind: 'response', res };
    } catch (error) {
      const hung = controller.signal.aborted;
      return { seq, kind: hung ? 'hang' : 'error', detail: hung ? `no answer within ${CLIENT_GUARD_MS} ms` : String(error) };
    } finally {
      clearTimeout(guard);
    }
  }

  it('answers every caller with its own 200, a 504 or a shed 503, mostly 200', async () => {
    const started = Date.now();
    const calls: Call[] = [];
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        const seq = next++;
        const startAt = started + seq * PACE_MS;
        if (Date.now() < startAt) await sleep(startAt - Date.now());
        calls.push(await call(seq));
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const chaos = (async () => {
      await sleep(1_500);
      first.kill('SIGKILL');
      expect(await first.exited).toBeNull(); // killed by the signal
      await sleep(1_000);
      await cluster.start('processor');
    })();

    await Promise.all([load, chaos]);

    expect(calls).toHaveLength(TOTAL);
    const failures = calls.filter((c) => c.kind !== 'response');
    expect(failures).toEqual([]);

    const responses = calls.flatMap((c) => (c.kind === 'response' ? [{ seq: c.seq, res: c.res }] : []));
    const unexpected = responses
      .filter(({ seq, res }) => {
        if (res.status === 504) return res.json?.type !== 'urn:flowgate:problem:timeout';
        // Flow control may shed while the partitions are orphaned: a fast 503 with Retry-After.
        if (res.status === 503) return !SHED.includes(String(res.json?.type)) || !res.headers.get('retry-after');
        if (res.status !== 200) return true;
        return res.json?.seq !== seq || res.json?.run !== run || res.json?.result !== 'ok';
      })
      .map(({ seq, res }) => ({ seq, status: res.status, body: res.text.slice(0, 200) }));
    expect(unexpected).toEqual([]);

    const ok = responses.filter(({ res }) => res.status === 200).length;
    const timedOut = responses.filter(({ res }) => res.status === 504).length;
    const shed = responses.filter(({ res }) => res.status === 503).length;
    console.log(
      `processor crash: ${TOTAL} requests in ${Date.now() - started} ms, ${ok} x 200, ${timedOut} x 504, ${shed} x 503`,
    );
    expect(ok + timedOut + shed).toBe(TOTAL);
    expect(ok).toBeGreaterThan(TOTAL / 2);
    expect(await gateway.metric('flowgate_gateway_inflight_requests')).toBe(0);
  });
});
