// Steady mixed load for the fault schedule and the soak: an open-loop generator (request i is due
// at start + i / rate whatever the system does; latency is measured from that due time) over the
// gateways in turn, every request with its own deadline (X-Timeout-Ms) and a nonce, every answer
// written to the ledger. Per 10 requests: 4 echo, 3 counter increments, 2 async echo
// (Prefer: respond-async, then polled to a final state), 1 idempotent increment sent twice (the
// retry 50 ms later, to the next gateway, with the same Idempotency-Key).
import { Agent, request } from 'node:http';

const MIX = ['echo', 'counter', 'async', 'echo', 'counter', 'idem', 'echo', 'async', 'counter', 'echo'];

/** One HTTP request; resolves { status, headers, body } or { error } (never rejects). */
export function call(agent, url, { method = 'POST', path, headers = {}, body, timeoutMs }) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`${url}${path}`, {
      method,
      agent,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (error) => resolve({ error: error.name === 'AbortError' ? 'hung' : error.code ?? error.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined; // not every answer has a JSON body
        }
        resolve({ status: res.statusCode, headers: res.headers, body: json });
      });
    });
    req.on('error', (error) => resolve({ error: error.name === 'AbortError' ? 'hung' : error.code ?? error.message }));
    req.end(payload);
  });
}

export class MixedLoad {
  /**
   * @param {{ gateways: string[], ledger: import('./ledger.mjs').Ledger, run: string, rate: number,
   *   timeoutMs?: number, slackMs?: number, asyncTimeoutMs?: number, keysPerPhase?: number,
   *   onLatency?: (kind: string, ms: number, ok: boolean) => void }} options
   */
  constructor({ gateways, ledger, run, rate, timeoutMs = 3_000, slackMs = 2_000, asyncTimeoutMs = 5_000, keysPerPhase = 8, onLatency }) {
    Object.assign(this, { gateways, ledger, run, rate, timeoutMs, slackMs, asyncTimeoutMs, keysPerPhase, onLatency });
    // Sockets per gateway far above what the rate keeps in flight: a slow gateway, not the client, makes callers wait.
    this.agent = new Agent({ keepAlive: true, maxSockets: 512 });
    this.next = 0;
    this.turn = 0;
    this.pending = new Set();
    this.timer = undefined;
  }

  keys(phase) {
    return {
      counter: Array.from({ length: this.keysPerPhase }, (_, i) => `${this.run}.${phase}.c${i}`),
      idem: Array.from({ length: this.keysPerPhase }, (_, i) => `${this.run}.${phase}.i${i}`),
    };
  }

  /** Starts offering load tagged `phase` until stop(). */
  start(phase) {
    this.stop();
    this.phase = phase;
    const started = performance.now();
    const epoch = Date.now() - started;
    const interval = 1000 / this.rate;
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (started + i * interval <= now) {
        const dueAt = epoch + started + i * interval;
        this.track(this.fire(MIX[this.next++ % MIX.length], dueAt));
        i++;
      }
      this.timer = setTimeout(tick, Math.max(1, started + i * interval - performance.now()));
    };
    tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves once every request sent so far has its answer (or hung) and every async its final state. */
  async drained() {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  track(promise) {
    this.pending.add(promise);
    promise.finally(() => this.pending.delete(promise));
  }

  gateway() {
    const index = this.turn++ % this.gateways.length;
    return { index, url: this.gateways[index] };
  }

  nonce() {
    return `${this.run}-${this.seq = (this.seq ?? 0) + 1}`;
  }

  async fire(kind, dueAt) {
    const phase = this.phase;
    const keys = this.keys(phase);
    const nonce = this.nonce();
    const pick = (list) => list[(this.seq * 7) % list.length];
    switch (kind) {
      case 'echo':
        return this.send({ phase, kind, dueAt, nonce, path: '/v1/echo', body: { nonce }, nonceOf: (b) => b?.nonce });
      case 'counter': {
        const key = pick(keys.counter);
        const entry = this.send({ phase, kind, dueAt, nonce, key, path: '/v1/counter', body: { key, by: 1 }, nonceOf: () => nonce });
        this.ledger.operation({ phase, key, requests: [await entry] });
        return;
      }
      case 'idem': {
        const key = pick(keys.idem);
        const headers = { 'idempotency-key': `"${nonce}"` };
        const first = this.send({ phase, kind, dueAt, nonce, key, path: '/v1/counter', body: { key, by: 1 }, headers, nonceOf: () => nonce });
        await new Promise((r) => setTimeout(r, 50));
        const retry = this.send({ phase, kind: 'idem-retry', dueAt: Date.now(), nonce, key, path: '/v1/counter', body: { key, by: 1 }, headers, nonceOf: () => nonce });
        this.ledger.operation({ phase, key, requests: await Promise.all([first, retry]) });
        return;
      }
      case 'async': {
        const entry = await this.send({
          phase, kind, dueAt, nonce, path: '/v1/echo', body: { nonce }, expected: 202, timeoutMs: this.asyncTimeoutMs,
          headers: { prefer: 'respond-async' }, nonceOf: () => nonce,
        });
        if (entry.outcome === 'ok') await this.follow(this.ledger.acceptAsync({ phase, entry, location: entry.location }));
        return;
      }
      default:
        throw new Error(`unknown request kind ${kind}`);
    }
  }

  /** Sends one request and writes it and its answer to the ledger; resolves with the entry. */
  async send({ phase, kind, dueAt, nonce, key, path, body, headers = {}, expected = 200, timeoutMs = this.timeoutMs, nonceOf }) {
    const { index, url } = this.gateway();
    const entry = this.ledger.send({ phase, kind, gateway: index, dueAt, sentAt: Date.now(), deadlineMs: timeoutMs, nonce, key });
    const answer = await call(this.agent, url, {
      path, body, timeoutMs: timeoutMs + this.slackMs,
      headers: { 'x-timeout-ms': String(timeoutMs), 'x-request-id': `fl-${nonce}${kind === 'idem-retry' ? '-r' : ''}`, ...headers },
    });
    const doneAt = Date.now();
    if (answer.error === 'hung') this.ledger.hang(entry, doneAt);
    else {
      this.ledger.answer(entry, {
        status: answer.status, problemType: answer.body?.type, retryAfter: answer.headers?.['retry-after'], doneAt, body: answer.body, expected,
        // Counter answers carry no nonce: their key and a numeric value say whose they are.
        nonceOf: key === undefined ? nonceOf : (b) => (b?.key === key && Number.isInteger(b?.value) ? nonce : JSON.stringify(b)),
      });
      if (answer.error) entry.error = answer.error;
      entry.value = answer.body?.value;
      entry.location = answer.headers?.location;
    }
    this.onLatency?.(kind, entry.latencyMs, entry.outcome === 'ok');
    return entry;
  }

  /**
   * Polls an accepted async request (any gateway answers for it) until it is final, or gives up
   * at its deadline + slack + 10 s (a sweeper's time to time it out, on a busy machine).
   */
  async follow(job) {
    const giveUpAt = job.entry.sentAt + this.asyncTimeoutMs + this.slackMs + 10_000;
    await new Promise((r) => setTimeout(r, 200));
    while (job.final === undefined && Date.now() < giveUpAt) {
      await this.poll(job);
      if (job.final === undefined) await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** One GET of an async request's location; connection errors and 5xx are retried by the caller. */
  async poll(job) {
    const { url } = this.gateway();
    const answer = await call(this.agent, url, { method: 'GET', path: job.location, timeoutMs: 3_000 });
    if (answer.status === 200) this.ledger.pollAsync(job, { state: answer.body?.status, nonce: answer.body?.result?.nonce, at: Date.now() });
    else if (answer.status === 404) this.ledger.pollAsync(job, { state: 404, at: Date.now() });
  }

  /** Polls every final async request of `phase` once more: its state must not have changed. */
  async recheck(phase) {
    await Promise.all(this.ledger.asyncs.filter((a) => a.phase === phase && a.final !== undefined).map((a) => this.poll(a)));
  }

  /** The counters of `phase`, read through a gateway (counter-get), retried until answered. */
  async readCounters(phase, { timeoutMs = 60_000 } = {}) {
    const { counter, idem } = this.keys(phase);
    const values = new Map();
    const giveUpAt = Date.now() + timeoutMs;
    for (const key of [...counter, ...idem]) {
      while (!values.has(key) && Date.now() < giveUpAt) {
        const { url } = this.gateway();
        const answer = await call(this.agent, url, { path: '/v1/counter-get', body: { key }, timeoutMs: 5_000, headers: { 'x-timeout-ms': '4000' } });
        if (answer.status === 200 && answer.body?.key === key) values.set(key, answer.body.value);
        else await new Promise((r) => setTimeout(r, 250));
      }
    }
    this.ledger.recordFinals(phase, values);
    return values;
  }

  close() {
    this.stop();
    this.agent.destroy();
  }
}
