// The ledger of a fault run: every request the mixed load sent, every answer it got, and the
// checks on them. Pure bookkeeping (no I/O), so the checks are unit-tested on made-up entries
// (ledger.test.mjs).
//
// Outcomes of one HTTP request:
//   ok        the answer the call wants: 200 (sync), 202 (async accepted)
//   refused   an answer that says the request never reached Kafka: 4xx, and 503 overloaded,
//             deadline-unreachable or shutting-down (no effect, for sure)
//   failed    any other answer (504, other 503s, 5xx): it may or may not have taken effect
//   error     no HTTP answer: connection refused or reset (may or may not have taken effect)
//   hung      no answer by the request's deadline + slack: the one thing that must never happen

/** 503s the gateway answers before it puts the request on Kafka: no effect, for sure. */
export const NO_EFFECT_PROBLEMS = new Set([
  'urn:flowgate:problem:overloaded',
  'urn:flowgate:problem:deadline-unreachable',
  'urn:flowgate:problem:shutting-down',
]);

export function classify({ status, problemType, expected = 200 }) {
  if (status === undefined) return 'error';
  if (status === expected) return 'ok';
  if (status >= 400 && status < 500) return 'refused';
  if (status === 503 && NO_EFFECT_PROBLEMS.has(problemType)) return 'refused';
  return 'failed';
}

/** Quantile of an ascending-sorted array (nearest rank). */
export function quantile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export class Ledger {
  constructor() {
    /** Every HTTP request of the load (polls of async requests are not requests of their own). */
    this.requests = [];
    /** Counter operations: a plain increment, or an idempotent pair (one effect at most). */
    this.operations = [];
    /** Async requests accepted with a 202, with what polling saw. */
    this.asyncs = [];
    /** Counter values read at checkpoints: phase -> key -> value. */
    this.finals = new Map();
    this.problems = [];
  }

  /** A request is sent: returns its entry, completed later by `answer` or `hang`. */
  send({ phase, kind, gateway, dueAt, sentAt = dueAt, deadlineMs, nonce, key }) {
    const entry = { id: this.requests.length, phase, kind, gateway, dueAt, sentAt, deadlineMs, nonce, key, outcome: undefined };
    this.requests.push(entry);
    return entry;
  }

  /**
   * An answer (or a connection error: status undefined). `body` is the parsed JSON; `nonceOf`
   * tells where the caller's nonce is in it, so an answer for another caller is caught.
   */
  answer(entry, { status, problemType, retryAfter, doneAt, body, expected = 200, nonceOf }) {
    entry.status = status;
    entry.problemType = problemType;
    entry.retryAfter = retryAfter;
    entry.latencyMs = doneAt - entry.dueAt;
    entry.outcome = classify({ status, problemType, expected });
    if (entry.outcome === 'ok' && nonceOf) {
      const seen = nonceOf(body);
      if (seen !== entry.nonce) {
        entry.wrongCaller = true;
        this.problems.push(`${entry.phase}: request ${entry.id} (${entry.kind}) was answered for ${JSON.stringify(seen)}, not ${entry.nonce}`);
      }
    }
    // A 503 must tell the caller when to come back.
    if (status === 503 && !retryAfter) entry.missingRetryAfter = true;
  }

  hang(entry, doneAt) {
    entry.outcome = 'hung';
    entry.latencyMs = doneAt - entry.dueAt;
  }

  /** A counter operation over one or two requests (an idempotent pair shares one effect). */
  operation({ phase, key, requests }) {
    const op = { phase, key, requests };
    this.operations.push(op);
    return op;
  }

  acceptAsync({ phase, entry, location }) {
    const job = { phase, entry, location, states: [], final: undefined, finalAt: undefined, recheck: undefined };
    this.asyncs.push(job);
    return job;
  }

  /** What one poll of an async request saw (`status`: pending, succeeded, failed, timed_out, or `404`). */
  pollAsync(job, { state, nonce, at }) {
    job.states.push(state);
    if (state === 'pending') return;
    if (job.final === undefined) {
      job.final = state;
      job.finalAt = at;
      if (state === 'succeeded' && nonce !== job.entry.nonce) {
        job.wrongCaller = true;
        this.problems.push(`${job.phase}: async request ${job.entry.id} succeeded with ${JSON.stringify(nonce)}, not ${job.entry.nonce}`);
      }
    } else if (state !== job.final) {
      job.changed = `${job.final} then ${state}`;
    }
  }

  recordFinals(phase, values) {
    this.finals.set(phase, values);
  }

  /**
   * Effects on the counters of `phase`, per key: acknowledged increments (a 200; for an idempotent
   * pair, either of its two) against the value read afterwards. Each increment is by 1 and every
   * 200 carries the new value, so acknowledged values must be distinct, none above the final value,
   * and the final value within [acknowledged, acknowledged + ambiguous] (ambiguous: failed, error
   * or hung operations, which may have taken effect).
   */
  effects(phase) {
    const finals = this.finals.get(phase) ?? new Map();
    const byKey = new Map();
    for (const op of this.operations) {
      if (op.phase !== phase) continue;
      let k = byKey.get(op.key);
      if (!k) byKey.set(op.key, (k = { acked: [], ambiguous: 0, pairMismatches: 0 }));
      const ok = op.requests.filter((r) => r.outcome === 'ok');
      if (ok.length > 0) {
        const values = [...new Set(ok.map((r) => r.value))];
        // Two answers of one idempotent pair must be the same answer.
        if (values.length > 1) k.pairMismatches++;
        k.acked.push(values[0]);
      } else if (op.requests.some((r) => ['failed', 'error', 'hung'].includes(r.outcome) || r.outcome === undefined)) {
        k.ambiguous++;
      }
    }
    let lost = 0;
    let duplicated = 0;
    let acked = 0;
    let ambiguous = 0;
    const details = [];
    for (const [key, k] of byKey) {
      const final = finals.get(key);
      acked += k.acked.length;
      ambiguous += k.ambiguous;
      if (final === undefined) {
        details.push(`${key}: final value never read`);
        lost += k.acked.length;
        continue;
      }
      const repeated = k.acked.length - new Set(k.acked).size;
      const maxAcked = k.acked.length ? Math.max(...k.acked) : 0;
      const keyLost = Math.max(0, k.acked.length - final, maxAcked - final);
      const keyDup = repeated + Math.max(0, final - k.acked.length - k.ambiguous) + k.pairMismatches;
      lost += keyLost;
      duplicated += keyDup;
      if (keyLost || keyDup) {
        details.push(`${key}: ${k.acked.length} acknowledged (max value ${maxAcked}, ${repeated} repeated, ${k.pairMismatches} pairs answered differently), ${k.ambiguous} ambiguous, final ${final}`);
      }
    }
    return { keys: byKey.size, acked, ambiguous, lost, duplicated, details };
  }

  /**
   * Recovery after a fault healed at `healAt`. Before it: the p99 of the requests due in
   * [injectAt - baselineMs, injectAt) that succeeded, and the share that succeeded. Recovered at
   * the start of the first 1 s bucket from which a `windowMs` window has a p99 of its successes
   * within 2 x the pre-fault p99 (and at least `floorMs` above it, so that jitter of a few ms on a
   * tiny p99 does not count as not recovered) and a success share no more than `okSlack` below
   * the pre-fault one. Returns seconds after healAt, or undefined if not (yet).
   */
  recovery({ phase, injectAt, healAt, baselineMs, windowMs = 3_000, floorMs = 10, okSlack = 0.02, until = Infinity }) {
    const sync = this.requests.filter((r) => r.phase === phase && r.kind !== 'idem-retry');
    const baseline = sync.filter((r) => r.dueAt >= injectAt - baselineMs && r.dueAt < injectAt);
    const okLatencies = (list) => list.filter((r) => r.outcome === 'ok').map((r) => r.latencyMs).sort((a, b) => a - b);
    const okShare = (list) => list.filter((r) => r.outcome === 'ok').length / Math.max(1, list.length);
    const baselineP99 = quantile(okLatencies(baseline), 0.99);
    const baselineOk = okShare(baseline);
    const limit = Math.max(2 * baselineP99, baselineP99 + floorMs);
    const after = sync.filter((r) => r.dueAt >= healAt && r.dueAt < until).sort((a, b) => a.dueAt - b.dueAt);
    for (let start = healAt; start + windowMs <= until; start += 1_000) {
      const window = after.filter((r) => r.dueAt >= start && r.dueAt < start + windowMs);
      if (window.length === 0 || window.some((r) => r.outcome === undefined)) return { baselineP99, baselineOk, limit, seconds: undefined };
      if (okShare(window) >= baselineOk - okSlack) {
        const p99 = quantile(okLatencies(window), 0.99);
        if (p99 <= limit) return { baselineP99, baselineOk, limit, seconds: (start - healAt) / 1000, p99 };
      }
    }
    return { baselineP99, baselineOk, limit, seconds: undefined };
  }

  /** Counts of one phase (or of several: an array), and its check results. */
  summary(phase) {
    const phases = Array.isArray(phase) ? phase : [phase];
    const mine = this.requests.filter((r) => phases.includes(r.phase));
    const count = (outcome) => mine.filter((r) => r.outcome === outcome).length;
    const statuses = {};
    for (const r of mine) {
      const key = r.outcome === 'hung' ? 'hung' : r.status === undefined ? (r.outcome === undefined ? 'unanswered' : 'conn-error') : String(r.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    const asyncs = this.asyncs.filter((a) => phases.includes(a.phase));
    const effects = phases.map((p) => this.effects(p));
    const sum = (field) => effects.reduce((a, e) => a + e[field], 0);
    const byKind = {};
    for (const kind of new Set(mine.map((r) => r.kind))) {
      const list = mine.filter((r) => r.kind === kind);
      const ok = list.filter((r) => r.outcome === 'ok').map((r) => r.latencyMs).sort((a, b) => a - b);
      byKind[kind] = { sent: list.length, ok: ok.length, p50: quantile(ok, 0.5), p99: quantile(ok, 0.99) };
    }
    return {
      sent: mine.length,
      byKind,
      ok: count('ok'),
      refused: count('refused'),
      failed: count('failed') + count('error'),
      hung: count('hung') + mine.filter((r) => r.outcome === undefined).length,
      wrongCaller: mine.filter((r) => r.wrongCaller).length + asyncs.filter((a) => a.wrongCaller).length,
      missingRetryAfter: mine.filter((r) => r.missingRetryAfter).length,
      statuses,
      asyncAccepted: asyncs.length,
      asyncNotFinal: asyncs.filter((a) => a.final === undefined || a.final === 404).length,
      asyncChanged: asyncs.filter((a) => a.changed).length,
      asyncFinals: Object.fromEntries(['succeeded', 'failed', 'timed_out'].map((s) => [s, asyncs.filter((a) => a.final === s).length])),
      counterOps: sum('acked') + sum('ambiguous'),
      acked: sum('acked'),
      ambiguous: sum('ambiguous'),
      lost: sum('lost'),
      duplicated: sum('duplicated'),
      details: [...effects.flatMap((e) => e.details), ...asyncs.filter((a) => a.changed).map((a) => `async ${a.entry.id}: ${a.changed}`)],
      hungBy: Object.fromEntries([...new Set(mine.filter((r) => r.outcome === 'hung').map((r) => `${r.kind}@${r.gateway}`))]
        .map((k) => [k, mine.filter((r) => r.outcome === 'hung' && `${r.kind}@${r.gateway}` === k).length])),
      asyncNotFinalSeen: asyncs.filter((a) => a.final === undefined || a.final === 404).slice(0, 10).map((a) => ({ polls: a.states.length, last: a.states.at(-1) })),
      // What hung, for the report's reader: kind, gateway, when (ms after the phase's first request).
      hungSamples: mine.filter((r) => r.outcome === 'hung' || r.outcome === undefined).slice(0, 10)
        .map((r) => ({ kind: r.kind, gateway: r.gateway, sentAfterMs: r.sentAt - (mine[0]?.dueAt ?? 0), sendLagMs: r.sentAt - r.dueAt, latencyMs: r.latencyMs })),
    };
  }
}

/** The checks every fault (and the whole run) must pass; an empty list means it passed. */
export function failedChecks(s) {
  const failures = [];
  if (s.hung > 0) failures.push(`${s.hung} requests hung (no answer by deadline + slack)`);
  if (s.lost > 0) failures.push(`${s.lost} acknowledged effects lost`);
  if (s.duplicated > 0) failures.push(`${s.duplicated} effects duplicated`);
  if (s.wrongCaller > 0) failures.push(`${s.wrongCaller} answers for another caller`);
  if (s.asyncNotFinal > 0) failures.push(`${s.asyncNotFinal} async requests never reached a final state`);
  if (s.asyncChanged > 0) failures.push(`${s.asyncChanged} async requests with two final states`);
  return failures;
}
