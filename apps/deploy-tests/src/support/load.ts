import { request } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

/**
 * One POST on a connection of its own (no keep-alive): each request is a new connection, as
 * many separate callers make them, so a switch of the entry point is seen by the next request.
 * Network errors reject.
 */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, options: { abortAfterMs?: number } = {}): Promise<Answer> {
  const started = process.hrtime.bigint();
  const data = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': headers['content-type'] ?? 'application/json', 'content-length': Buffer.byteLength(data), ...headers },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    if (options.abortAfterMs !== undefined) {
      setTimeout(() => {
        req.destroy(new Error('aborted by the caller'));
      }, options.abortAfterMs).unref();
    }
    req.end(data);
  });
}

export interface LoadReport {
  readonly sent: number;
  readonly failed: number;
  /** Failures by kind: `status <n>` or the network error. */
  readonly failures: Record<string, number>;
  readonly latenciesMs: number[];
  /** Every answered or failed request: when it started (epoch ms) and how long it took. */
  readonly samples: { startedAt: number; ms: number; ok: boolean }[];
}

/** The q-quantile (0..1) of a list of numbers, nearest-rank. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Constant closed-loop load: `workers` callers, each sending its next request as soon as the
 * last one is answered, until stop() or `maxRequests` in all (the loop is bounded either way).
 * A request fails when it errors or its status is not 200.
 */
export class ConstantLoad {
  private stopping = false;
  private sent = 0;
  private failed = 0;
  private readonly failures: Record<string, number> = {};
  private readonly latencies: number[] = [];
  private readonly samples: { startedAt: number; ms: number; ok: boolean }[] = [];
  private readonly done: Promise<void>;

  constructor(
    private readonly options: { url: string; body: (n: number) => unknown; workers: number; maxRequests: number },
  ) {
    this.done = Promise.all(Array.from({ length: options.workers }, () => this.worker())).then(() => undefined);
  }

  get progress(): { sent: number; failed: number } {
    return { sent: this.sent, failed: this.failed };
  }

  private async worker(): Promise<void> {
    while (!this.stopping && this.sent < this.options.maxRequests) {
      const n = this.sent++;
      const startedAt = Date.now();
      try {
        const answer = await postJson(this.options.url, this.options.body(n));
        this.latencies.push(answer.ms);
        this.samples.push({ startedAt, ms: answer.ms, ok: answer.status === 200 });
        if (answer.status !== 200) this.fail(`status ${answer.status}`);
      } catch (error) {
        this.samples.push({ startedAt, ms: Date.now() - startedAt, ok: false });
        this.fail(error instanceof Error ? error.message : String(error));
      }
    }
  }

  private fail(kind: string): void {
    this.failed += 1;
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
  }

  /** Resolves once the load has sent `maxRequests` and has every answer. */
  async untilDone(): Promise<LoadReport> {
    await this.done;
    return this.report();
  }

  /** Stops sending and resolves once every request sent has its answer. */
  async stop(): Promise<LoadReport> {
    this.stopping = true;
    await this.done;
    return this.report();
  }

  private report(): LoadReport {
    return { sent: this.sent, failed: this.failed, failures: { ...this.failures }, latenciesMs: [...this.latencies], samples: [...this.samples] };
  }
}
